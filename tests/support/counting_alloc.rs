//! A global allocator that counts heap bytes, for the tests and the bench that measure memory.
//!
//! Including this module (`#[path = "support/counting_alloc.rs"] mod counting_alloc;`) installs
//! it as the binary's global allocator, so each measuring test or bench is its own binary. The
//! counters are global: measurements take [`serial`] so that each peak is its own.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::{Mutex, MutexGuard};

/// Forwards every call to the system allocator and counts the sizes.
pub struct Counting;

#[global_allocator]
static ALLOCATOR: Counting = Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
/// Bytes handed out in all, reallocations included: growing a buffer a step at a time shows
/// here as a sum quadratic in its size.
static TOTAL: AtomicUsize = AtomicUsize::new(0);

fn grew(bytes: usize) {
    TOTAL.fetch_add(bytes, SeqCst);
    let live = LIVE.fetch_add(bytes, SeqCst) + bytes;
    PEAK.fetch_max(live, SeqCst);
}

fn shrank(bytes: usize) {
    LIVE.fetch_sub(bytes, SeqCst);
}

// SAFETY: every call is passed straight to the system allocator; the counters only observe.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        shrank(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            // Count the new block before the old one goes: a moving realloc holds both.
            grew(new_size);
            shrank(layout.size());
        }
        new
    }
}

/// Heap use since [`Meter::start`], relative to what was live then.
pub struct Meter {
    live: usize,
    total: usize,
}

#[allow(dead_code)] // each including binary uses some of these
impl Meter {
    /// Starts measuring: the peak restarts from what is live now.
    pub fn start() -> Meter {
        let live = LIVE.load(SeqCst);
        PEAK.store(live, SeqCst);
        Meter {
            live,
            total: TOTAL.load(SeqCst),
        }
    }

    /// The most heap held at once since the start, beyond what was live then.
    pub fn peak(&self) -> usize {
        PEAK.load(SeqCst).saturating_sub(self.live)
    }

    /// Heap held now beyond what was live at the start (negative if less is held now).
    pub fn live(&self) -> isize {
        LIVE.load(SeqCst) as isize - self.live as isize
    }

    /// Heap held now beyond the start, or 0.
    pub fn held(&self) -> usize {
        LIVE.load(SeqCst).saturating_sub(self.live)
    }

    /// Bytes allocated in all since the start.
    pub fn total(&self) -> usize {
        TOTAL.load(SeqCst) - self.total
    }
}

/// Holds the measuring lock for the rest of a test (one that failed holding it does not count).
#[allow(dead_code)] // the bench measures on one thread and does not need it
pub fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}
