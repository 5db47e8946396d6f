/* emu — the CUDA host emulator's runtime: one emulated device in host
 * memory, and kernel launches run on the CPU.
 *
 * A launch runs its blocks one after another (every other launch in reverse
 * order); the threads of a block are fibers on one host thread (own stacks,
 * our own x86-64 context switch, or ucontext elsewhere), which switch to
 * each other directly. A pass runs every runnable thread until it reaches a
 * barrier or returns; then the barriers whose threads have all arrived are
 * released: a warp's (__syncwarp, shuffles) when its 32 lanes wait at the
 * same one, the block's (__syncthreads) when all its threads do. Each pass
 * visits the threads in another order (forward or reverse from a varying
 * start), so code that needs a barrier it lacks, or assumes warp lockstep,
 * sees other values than on a lucky schedule. Misuse is fatal, with the
 * kernel's name: a barrier some threads skip (divergent, exited lanes at a
 * warp barrier), a deadlock, a host pointer passed to a kernel, a
 * misaligned __ldcs, a stack overflow (guard pages).
 *
 * Device memory: every cudaMalloc is its own mapping, its end against a
 * PROT_NONE page (so reading past the end faults), 16-byte aligned, or with
 * FITCHAT_CUDA_EMU_GUARD=front its start after one (reading before it faults); the
 * device has EMU_TOTAL bytes, of which the context takes EMU_CONTEXT once
 * created, and cudaMemGetInfo reports what the allocations leave.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <map>
#include <mutex>

#include "cuda_runtime.h"

/* Our own context switch on x86-64 (no system call, unlike swapcontext's
 * signal mask); ucontext elsewhere, or with -DFC_EMU_UCONTEXT. */
#if defined(__x86_64__) && !defined(FC_EMU_UCONTEXT)
#define FC_EMU_SWITCH_ASM 1
#endif

#if !defined(FC_EMU_SWITCH_ASM)
#include <ucontext.h>
#endif

thread_local uint3 threadIdx, blockIdx;
thread_local dim3 blockDim, gridDim;

namespace {

constexpr size_t EMU_TOTAL = (size_t)2 << 30;     /* the emulated device's memory */
constexpr size_t EMU_CONTEXT = (size_t)64 << 20;  /* what its context takes */
constexpr size_t STACK = 128 << 10;               /* per emulated thread */
constexpr int MAX_THREADS = 1024;

/* ---- errors and memory ------------------------------------------------------ */

std::mutex mem_mu;
struct alloc_info {
    size_t bytes;
    uint8_t *map; /* its mapping, guard page included */
    size_t map_len;
};
std::map<uintptr_t, alloc_info> allocs; /* by start */
bool guard_front; /* FITCHAT_CUDA_EMU_GUARD=front: the guard page before the start, not after the end */
size_t used;
bool context;
cudaError_t last_error = cudaSuccess;
size_t page_size;

cudaError_t set_error(cudaError_t e) {
    if (e != cudaSuccess) last_error = e;
    return e;
}

void create_context() {
    if (!context) { context = true; used += EMU_CONTEXT; }
}

/* The allocation holding [p, p + n) (n 0: p may be its end), or allocs.end(). */
std::map<uintptr_t, alloc_info>::iterator find_alloc(const void *p, size_t n) {
    const uintptr_t a = (uintptr_t)p;
    auto it = allocs.upper_bound(a);
    if (it == allocs.begin()) return allocs.end();
    --it;
    const uintptr_t end = it->first + it->second.bytes;
    if (a + n <= end && (n || a <= end)) return it;
    return allocs.end();
}

/* ---- fibers ------------------------------------------------------------------ */

enum { RUN, AT_BLOCK, AT_WARP, DONE };

struct fiber {
    void *sp;
    int state;
    const void *site; /* the barrier's call site */
    unsigned shfl;    /* shuffles done (picks the exchange buffer) */
    uint3 tid;        /* its threadIdx */
    uint8_t *stack;
    size_t stagger;   /* the stack top's offset: stacks apart by whole pages would share cache sets */
#if !defined(FC_EMU_SWITCH_ASM)
    ucontext_t uc;
#endif
};

struct sched {
    fiber fib[MAX_THREADS];
    void *main_sp;
#if !defined(FC_EMU_SWITCH_ASM)
    ucontext_t main_uc;
#endif
    int cur, n;
    int i, k, step; /* the pass: next index, threads visited, +1 or -1 (n - 1) */
    void (*body)(void *);
    void *ctx;
    const char *kernel;
    uint64_t xchg[MAX_THREADS / 32][2][32]; /* shuffle exchange, double-buffered per warp */
};
thread_local sched *S;
std::mutex launch_mu; /* __shared__ variables are statics: one launch at a time */

} // namespace

#if defined(FC_EMU_SWITCH_ASM)
/* emu_switch(save, to): saves the callee-saved registers on this stack and
 * the stack pointer in *save, then resumes the stack to. */
extern "C" void fc_emu_switch(void **save, void *to);
asm(".text\n"
    ".globl fc_emu_switch\n"
    ".type fc_emu_switch,@function\n"
    "fc_emu_switch:\n"
    "  pushq %rbp\n  pushq %rbx\n  pushq %r12\n  pushq %r13\n  pushq %r14\n  pushq %r15\n"
    "  movq %rsp, (%rdi)\n"
    "  movq %rsi, %rsp\n"
    "  popq %r15\n  popq %r14\n  popq %r13\n  popq %r12\n  popq %rbx\n  popq %rbp\n"
    "  ret\n"
    ".size fc_emu_switch,.-fc_emu_switch\n");
#endif

namespace {

/* The next runnable thread of this pass's order, or -1 when the pass is over. */
int pass_next() {
    while (S->k < S->n) {
        const int i = S->i;
        S->k++;
        S->i += S->step;
        if (S->i >= S->n) S->i -= S->n;
        if (S->fib[i].state == RUN) return i;
    }
    return -1;
}

/* From the scheduler's stack (from < 0) or from fiber from (which has just
 * blocked or finished) to the next runnable thread of the pass, or back to
 * the scheduler when there is none. Fibers switch to each other directly. */
void switch_next(int from) {
    const int to = pass_next();
    void **save = from < 0 ? &S->main_sp : &S->fib[from].sp;
    if (to >= 0) {
        S->cur = to;
        threadIdx = S->fib[to].tid;
    }
#if defined(FC_EMU_SWITCH_ASM)
    fc_emu_switch(save, to >= 0 ? S->fib[to].sp : S->main_sp);
#else
    (void)save;
    swapcontext(from < 0 ? &S->main_uc : &S->fib[from].uc, to >= 0 ? &S->fib[to].uc : &S->main_uc);
#endif
}

void fiber_main() {
    for (;;) { /* never returns: a finished thread parks until its stack is set up again */
        S->body(S->ctx);
        S->fib[S->cur].state = DONE;
        switch_next(S->cur);
    }
}

void fiber_reset(fiber &f) {
    f.state = RUN;
    f.site = nullptr;
    f.shfl = 0;
#if defined(FC_EMU_SWITCH_ASM)
    /* a frame fc_emu_switch pops: six registers, then fiber_main as the return address */
    uintptr_t top = ((uintptr_t)f.stack + STACK - f.stagger) & ~(uintptr_t)15;
    void **sp = (void **)(top - 16);
    sp[0] = (void *)&fiber_main;
    sp[1] = nullptr;
    sp -= 6;
    for (int k = 0; k < 6; k++) sp[k] = nullptr;
    f.sp = sp;
#else
    getcontext(&f.uc);
    f.uc.uc_stack.ss_sp = f.stack;
    f.uc.uc_stack.ss_size = STACK;
    f.uc.uc_link = nullptr;
    makecontext(&f.uc, fiber_main, 0);
#endif
}

sched *get_sched() {
    if (S) return S;
    S = new sched();
    if (!page_size) page_size = (size_t)sysconf(_SC_PAGESIZE);
    /* stacks with a guard page below each */
    const size_t span = STACK + page_size;
    uint8_t *m = (uint8_t *)mmap(nullptr, span * MAX_THREADS, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) fc_emu::fail("cannot map the fiber stacks");
    for (int i = 0; i < MAX_THREADS; i++) {
        mprotect(m + span * i, page_size, PROT_NONE);
        S->fib[i].stack = m + span * i + page_size;
        S->fib[i].stagger = (size_t)(i * 208) % 4096;
    }
    return S;
}

void block_wait(int state, const void *site) {
    if (!S) fc_emu::fail("a barrier outside a kernel");
    fiber &f = S->fib[S->cur];
    f.state = state;
    f.site = site;
    switch_next(S->cur);
}

/* After a pass: releases what may go on; fails on misuse. */
void release(int n) {
    const int n_warps = (n + 31) / 32;
    bool any = false;
    for (int w = 0; w < n_warps; w++) {
        const int lo = 32 * w, hi = lo + 32 < n ? lo + 32 : n;
        int at_warp = 0;
        for (int i = lo; i < hi; i++) at_warp += S->fib[i].state == AT_WARP;
        if (!at_warp) continue;
        if (hi - lo != 32) fc_emu::fail("kernel %s: a warp barrier in a partial warp (%d threads)", S->kernel, hi - lo);
        if (at_warp != 32)
            fc_emu::fail("kernel %s, block (%u,%u,%u), warp %d: %d of 32 lanes wait at a warp barrier (__syncwarp / shuffle), "
                         "the others %s", S->kernel, blockIdx.x, blockIdx.y, blockIdx.z, w, at_warp,
                         "have returned or wait at __syncthreads");
        for (int i = lo; i < hi; i++)
            if (S->fib[i].site != S->fib[lo].site)
                fc_emu::fail("kernel %s, block (%u,%u,%u), warp %d: lanes %d and %d wait at different warp barriers (%p, %p)",
                             S->kernel, blockIdx.x, blockIdx.y, blockIdx.z, w, lo, i, S->fib[lo].site, S->fib[i].site);
        for (int i = lo; i < hi; i++) S->fib[i].state = RUN;
        any = true;
    }
    if (any) return;
    int at_block = 0, done = 0, first = -1;
    for (int i = 0; i < n; i++) {
        if (S->fib[i].state == AT_BLOCK) { at_block++; if (first < 0) first = i; }
        done += S->fib[i].state == DONE;
    }
    if (done == n) return;
    if (at_block + done != n) fc_emu::fail("kernel %s: deadlock", S->kernel);
    if (done)
        fc_emu::fail("kernel %s, block (%u,%u,%u): %d threads wait at __syncthreads, %d have returned", S->kernel,
                     blockIdx.x, blockIdx.y, blockIdx.z, at_block, done);
    for (int i = 0; i < n; i++)
        if (S->fib[i].site != S->fib[first].site)
            fc_emu::fail("kernel %s, block (%u,%u,%u): threads %d and %d wait at different __syncthreads (%p, %p)",
                         S->kernel, blockIdx.x, blockIdx.y, blockIdx.z, first, i, S->fib[first].site, S->fib[i].site);
    for (int i = 0; i < n; i++) S->fib[i].state = RUN;
}

uint64_t seed = 0x9E3779B97F4A7C15ull;
uint64_t next_rand() {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
}

void run_block(int n) {
    for (int i = 0; i < n; i++) fiber_reset(S->fib[i]);
    S->n = n;
    for (unsigned pass = 0;; pass++) {
        /* this pass's order: forward or backward from a random start */
        S->i = (int)(next_rand() % (uint64_t)n);
        S->step = pass & 1 ? n - 1 : 1;
        S->k = 0;
        bool any = false;
        for (int i = 0; i < n && !any; i++) any = S->fib[i].state == RUN;
        if (!any) break;
        switch_next(-1); /* returns when the pass is over */
        release(n);
    }
}

} // namespace

namespace fc_emu {

void fail(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "cuda-emu: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    abort();
}

void check_aligned(const void *p, size_t a, const char *what) {
    if ((uintptr_t)p % a) fail("kernel %s: %s of %p, which is not %zu-byte aligned", S ? S->kernel : "?", what, p, a);
}

void check_device_ptr(const void *p, const char *kernel, int arg) {
    if (!p) return;
    std::lock_guard<std::mutex> g(mem_mu);
    if (find_alloc(p, 0) == allocs.end())
        fail("kernel %s: argument %d (%p) is not device memory", kernel, arg + 1, p);
}

uint64_t shfl_xor(unsigned mask, uint64_t v, int lane_mask, int width) {
    if (!S) fail("a shuffle outside a kernel");
    if (mask != 0xffffffffu || width != 32 || lane_mask < 0 || lane_mask > 31)
        fail("kernel %s: __shfl_xor_sync(0x%x, v, %d, %d): only full warps are emulated", S->kernel, mask, lane_mask, width);
    fiber &f = S->fib[S->cur];
    const int lane = S->cur % 32, warp = S->cur / 32;
    uint64_t *buf = S->xchg[warp][f.shfl++ & 1];
    buf[lane] = v;
    block_wait(AT_WARP, __builtin_return_address(0));
    return buf[lane ^ lane_mask];
}

void run_grid(const launch_cfg &c, void (*body)(void *), void *ctx) {
    const uint64_t nt = (uint64_t)c.block.x * c.block.y * c.block.z;
    if (!nt || nt > MAX_THREADS || c.block.z > 64 || !c.grid.x || !c.grid.y || !c.grid.z || c.grid.y > 65535 ||
        c.grid.z > 65535 || c.grid.x > 0x7FFFFFFFu || c.smem > 48 * 1024) {
        std::lock_guard<std::mutex> g(mem_mu);
        set_error(cudaErrorInvalidConfiguration);
        return;
    }
    if (c.smem) fail("kernel %s: dynamic shared memory is not emulated", c.name);
    std::lock_guard<std::mutex> g(launch_mu);
    sched *s = get_sched();
    s->body = body;
    s->ctx = ctx;
    s->kernel = c.name;
    blockDim = c.block;
    gridDim = c.grid;
    for (int i = 0; i < (int)nt; i++)
        s->fib[i].tid = uint3{(unsigned)i % c.block.x, (unsigned)i / c.block.x % c.block.y, (unsigned)i / (c.block.x * c.block.y)};
    /* blocks in order, or (every other launch) in reverse order: a kernel
     * whose blocks depend on each other's writes sees both */
    static uint64_t launches;
    const bool reverse = launches++ & 1;
    const uint64_t n_blocks = (uint64_t)c.grid.x * c.grid.y * c.grid.z;
    for (uint64_t b = 0; b < n_blocks; b++) {
        const uint64_t k = reverse ? n_blocks - 1 - b : b;
        blockIdx = uint3{(unsigned)(k % c.grid.x), (unsigned)(k / c.grid.x % c.grid.y), (unsigned)(k / ((uint64_t)c.grid.x * c.grid.y))};
        run_block((int)nt);
    }
}

} // namespace fc_emu

/* ---- the runtime API ------------------------------------------------------------ */

void __syncthreads(void) { block_wait(AT_BLOCK, __builtin_return_address(0)); }

void __syncwarp(unsigned mask) {
    if (!S) fc_emu::fail("__syncwarp outside a kernel");
    if (mask != 0xffffffffu) fc_emu::fail("kernel %s: __syncwarp(0x%x): only full warps are emulated", S->kernel, mask);
    block_wait(AT_WARP, __builtin_return_address(0));
}

cudaError_t cudaGetDeviceCount(int *n) {
    /* CUDA_VISIBLE_DEVICES set and empty hides every device, as in the real
     * runtime (which then returns cudaErrorNoDevice) */
    const char *cvd = getenv("CUDA_VISIBLE_DEVICES");
    if (cvd && !*cvd) {
        *n = 0;
        return set_error(cudaErrorNoDevice);
    }
    *n = 1;
    return cudaSuccess;
}

cudaError_t cudaSetDevice(int ordinal) {
    std::lock_guard<std::mutex> g(mem_mu);
    return set_error(ordinal == 0 ? cudaSuccess : cudaErrorInvalidDevice);
}

cudaError_t cudaGetDeviceProperties(cudaDeviceProp *p, int ordinal) {
    std::lock_guard<std::mutex> g(mem_mu);
    if (ordinal != 0) return set_error(cudaErrorInvalidDevice);
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "CUDA host emulator");
    memcpy(p->uuid.bytes, "fitchat-cuda-emu", 16);
    p->totalGlobalMem = EMU_TOTAL;
    p->major = 8;
    p->minor = 0;
    p->multiProcessorCount = 1;
    p->warpSize = 32;
    return cudaSuccess;
}

cudaError_t cudaMalloc(void **p, size_t bytes) {
    std::lock_guard<std::mutex> g(mem_mu);
    if (!page_size) {
        page_size = (size_t)sysconf(_SC_PAGESIZE);
        const char *gm = getenv("FITCHAT_CUDA_EMU_GUARD");
        guard_front = gm && !strcmp(gm, "front");
    }
    create_context();
    *p = nullptr;
    if (!bytes) return cudaSuccess;
    const size_t rounded = (bytes + 15) & ~(size_t)15;
    if (rounded > EMU_TOTAL - used) return set_error(cudaErrorMemoryAllocation);
    const size_t pages = (rounded + page_size - 1) / page_size, len = (pages + 1) * page_size;
    uint8_t *m = (uint8_t *)mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return set_error(cudaErrorMemoryAllocation);
    uint8_t *start;
    if (guard_front) { /* page-aligned start right after the guard page */
        mprotect(m, page_size, PROT_NONE);
        start = m + page_size;
    } else { /* the end (rounded to 16 bytes) right before the guard page */
        mprotect(m + pages * page_size, page_size, PROT_NONE);
        start = m + pages * page_size - rounded;
    }
    memset(start, 0xA5, rounded); /* uninitialised device memory is not zero */
    allocs[(uintptr_t)start] = alloc_info{bytes, m, len};
    used += rounded;
    *p = start;
    return cudaSuccess;
}

cudaError_t cudaFree(void *p) {
    std::lock_guard<std::mutex> g(mem_mu);
    create_context();
    if (!p) return cudaSuccess;
    auto it = allocs.find((uintptr_t)p);
    if (it == allocs.end()) return set_error(cudaErrorInvalidDevicePointer);
    munmap(it->second.map, it->second.map_len);
    used -= (it->second.bytes + 15) & ~(size_t)15;
    allocs.erase(it);
    return cudaSuccess;
}

cudaError_t cudaMemGetInfo(size_t *free_b, size_t *total_b) {
    std::lock_guard<std::mutex> g(mem_mu);
    create_context();
    *free_b = EMU_TOTAL - used;
    *total_b = EMU_TOTAL;
    return cudaSuccess;
}

cudaError_t cudaMemcpy(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind) {
    std::lock_guard<std::mutex> g(mem_mu);
    create_context();
    if (!bytes) return cudaSuccess;
    const bool dst_dev = kind == cudaMemcpyHostToDevice || kind == cudaMemcpyDeviceToDevice;
    const bool src_dev = kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyDeviceToDevice;
    if (kind != cudaMemcpyHostToHost && !dst_dev && !src_dev) return set_error(cudaErrorInvalidMemcpyDirection);
    if ((dst_dev && find_alloc(dst, bytes) == allocs.end()) || (src_dev && find_alloc(src, bytes) == allocs.end()))
        return set_error(cudaErrorInvalidValue);
    if ((!dst_dev && find_alloc(dst, 0) != allocs.end()) || (!src_dev && find_alloc(src, 0) != allocs.end()))
        return set_error(cudaErrorInvalidValue); /* a device pointer where the direction says host */
    memcpy(dst, src, bytes);
    return cudaSuccess;
}

cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind, cudaStream_t st) {
    (void)st; /* everything is synchronous */
    return cudaMemcpy(dst, src, bytes, kind);
}

struct fc_emu_stream { unsigned flags; };

cudaError_t cudaStreamCreateWithFlags(cudaStream_t *st, unsigned flags) {
    *st = new fc_emu_stream{flags};
    return cudaSuccess;
}
cudaError_t cudaStreamDestroy(cudaStream_t st) {
    delete st;
    return cudaSuccess;
}
cudaError_t cudaStreamSynchronize(cudaStream_t st) {
    (void)st;
    std::lock_guard<std::mutex> g(mem_mu);
    return last_error == cudaErrorLaunchFailure ? cudaErrorLaunchFailure : cudaSuccess;
}
cudaError_t cudaDeviceSynchronize(void) { return cudaStreamSynchronize(nullptr); }
cudaError_t cudaDriverGetVersion(int *v) {
    *v = CUDART_VERSION;
    return cudaSuccess;
}

cudaError_t cudaGetLastError(void) {
    std::lock_guard<std::mutex> g(mem_mu);
    const cudaError_t e = last_error;
    last_error = cudaSuccess;
    return e;
}

const char *cudaGetErrorName(cudaError_t e) {
    switch (e) {
    case cudaSuccess: return "cudaSuccess";
    case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
    case cudaErrorInvalidConfiguration: return "cudaErrorInvalidConfiguration";
    case cudaErrorInvalidDevicePointer: return "cudaErrorInvalidDevicePointer";
    case cudaErrorInvalidMemcpyDirection: return "cudaErrorInvalidMemcpyDirection";
    case cudaErrorInsufficientDriver: return "cudaErrorInsufficientDriver";
    case cudaErrorNoDevice: return "cudaErrorNoDevice";
    case cudaErrorInvalidDevice: return "cudaErrorInvalidDevice";
    case cudaErrorInvalidResourceHandle: return "cudaErrorInvalidResourceHandle";
    case cudaErrorLaunchFailure: return "cudaErrorLaunchFailure";
    }
    return "cudaErrorUnknown";
}

const char *cudaGetErrorString(cudaError_t e) {
    switch (e) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory (emulated device)";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
    case cudaErrorInvalidDevicePointer: return "invalid device pointer";
    case cudaErrorInvalidMemcpyDirection: return "invalid copy direction for memcpy";
    case cudaErrorInsufficientDriver: return "CUDA driver version is insufficient for CUDA runtime version";
    case cudaErrorNoDevice: return "no CUDA-capable device is detected";
    case cudaErrorInvalidDevice: return "invalid device ordinal";
    case cudaErrorInvalidResourceHandle: return "invalid resource handle";
    case cudaErrorLaunchFailure: return "unspecified launch failure";
    }
    return "unknown error";
}
