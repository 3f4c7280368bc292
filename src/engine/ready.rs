//! Running the shared loops of [`pump`](super::pump) over I/O that never waits: the blocking
//! adapter's `std::io` calls block (or fail with `WouldBlock`) instead of returning `Pending`, so
//! each loop completes in one poll and no executor is needed.

use std::future::Future;
use std::io;
use std::pin::pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, Wake, Waker};

use crate::Error;

/// A waker that does nothing: nothing ever waits on it. (`Waker::noop` needs Rust 1.85; the
/// crate's MSRV is 1.81, and `unsafe` is forbidden, so it is an `Arc<impl Wake>`, made once.)
struct Noop;

impl Wake for Noop {
    fn wake(self: Arc<Self>) {}
    fn wake_by_ref(self: &Arc<Self>) {}
}

/// The process's one no-op waker.
#[inline]
pub(crate) fn noop_waker() -> &'static Waker {
    static NOOP: OnceLock<Waker> = OnceLock::new();
    NOOP.get_or_init(|| Waker::from(Arc::new(Noop)))
}

/// Polls `fut` once with a no-op waker: its result, or `None` if it is still pending.
pub(crate) fn poll_once<F: Future>(fut: F) -> Option<F::Output> {
    let mut cx = Context::from_waker(noop_waker());
    match pin!(fut).poll(&mut cx) {
        Poll::Ready(out) => Some(out),
        Poll::Pending => None,
    }
}

/// Calls a shared loop's poll function once with a no-op waker: its result, or `None` if it is
/// still pending. The cheap form of [`poll_once`] for a loop that is a `poll_*` function (no
/// future to build and pin).
#[inline]
pub(crate) fn poll_now<T>(poll: impl FnOnce(&mut Context<'_>) -> Poll<T>) -> Option<T> {
    match poll(&mut Context::from_waker(noop_waker())) {
        Poll::Ready(out) => Some(out),
        Poll::Pending => None,
    }
}

/// [`run`] for a `poll_*` function.
#[inline]
pub(crate) fn run_poll<T, E: From<Error>>(
    poll: impl FnOnce(&mut Context<'_>) -> Poll<Result<T, E>>,
) -> Result<T, E> {
    poll_now(poll).unwrap_or_else(|| Err(Error::Io(pending()).into()))
}

/// Runs one of the shared loops over I/O that never returns `Pending`, so that it completes in
/// one poll. Were it to stay pending anyway, that is an I/O error rather than a panic or a hang.
#[inline]
pub(crate) fn run<T, E: From<Error>>(fut: impl Future<Output = Result<T, E>>) -> Result<T, E> {
    poll_once(fut).unwrap_or_else(|| Err(Error::Io(pending()).into()))
}

/// What a blocking call returns if a shared loop stayed pending (it cannot: the blocking I/O
/// never returns `Pending`).
#[cold]
pub(crate) fn pending() -> io::Error {
    io::Error::new(io::ErrorKind::WouldBlock, "blocking I/O returned pending")
}

#[cfg(test)]
mod tests {
    use std::future::{pending as never, ready};

    use super::*;

    #[test]
    fn a_ready_loop_completes_in_one_poll_and_a_pending_one_does_not() {
        assert_eq!(poll_once(ready(7)), Some(7));
        assert_eq!(poll_once(never::<u8>()), None);
        assert_eq!(poll_now(|_| Poll::Ready(7)), Some(7));
        assert_eq!(poll_now(|_| Poll::<u8>::Pending), None);
        // The context is the no-op waker's: waking it does nothing.
        assert_eq!(
            poll_now(|cx| {
                cx.waker().wake_by_ref();
                Poll::Ready(cx.waker().will_wake(noop_waker()))
            }),
            Some(true)
        );
        // A clone woken by value does nothing either.
        let waker = noop_waker().clone();
        waker.wake();
    }

    #[test]
    fn a_blocking_run_returns_the_loops_result_or_an_error_if_it_stayed_pending() {
        assert_eq!(run(ready(Ok::<_, Error>(7))).unwrap(), 7);
        assert!(matches!(
            run(ready(Err::<u8, _>(Error::Io(io::ErrorKind::BrokenPipe.into())))),
            Err(Error::Io(err)) if err.kind() == io::ErrorKind::BrokenPipe
        ));
        assert_eq!(run_poll(|_| Poll::Ready(Ok::<_, Error>(7))).unwrap(), 7);
        let stayed = [
            run(never::<Result<u8, Error>>()).unwrap_err(),
            run_poll(|_| Poll::<Result<u8, Error>>::Pending).unwrap_err(),
        ];
        for err in stayed {
            let Error::Io(err) = err else {
                panic!("an I/O error: {err:?}")
            };
            assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
            assert_eq!(err.to_string(), "blocking I/O returned pending");
        }
        assert_eq!(pending().kind(), io::ErrorKind::WouldBlock);
    }

    #[test]
    fn the_no_op_waker_is_made_once() {
        assert!(std::ptr::eq(noop_waker(), noop_waker()));
    }
}
