//! `all_of` and `any_of`: wait for every one, or the first, of several waits.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Waits for all of `futures`; yields their outputs in the given order.
///
/// Each future must be `Unpin` (the engine's own waits are; box an `async` block with
/// `Box::pin`). Pending futures are polled again on every wake-up, so each records its wait
/// and a deadlock report lists all of them.
///
/// ```
/// use kernbench_engine::{all_of, SimTime, Simulation};
/// let mut simulation = Simulation::new();
/// let sim = simulation.handle();
/// simulation.spawn("p", async move {
///     all_of(vec![sim.timeout(SimTime::from_ns(2)), sim.timeout(SimTime::from_ns(5))]).await;
///     assert_eq!(sim.now(), SimTime::from_ns(5));
/// });
/// simulation.run()?;
/// # Ok::<(), kernbench_engine::SimError>(())
/// ```
pub fn all_of<F: Future + Unpin>(futures: Vec<F>) -> AllOf<F> {
    let outputs = futures.iter().map(|_| None).collect();
    AllOf {
        futures: futures.into_iter().map(Some).collect(),
        outputs,
    }
}

/// Waits for the first of `futures` to finish; yields its index and output. When several are
/// ready at the same poll, the lowest index wins. The others are dropped (cancelled).
///
/// ```
/// use kernbench_engine::{any_of, SimTime, Simulation};
/// let mut simulation = Simulation::new();
/// let sim = simulation.handle();
/// simulation.spawn("p", async move {
///     let (first, ()) =
///         any_of(vec![sim.timeout(SimTime::from_ns(7)), sim.timeout(SimTime::from_ns(3))]).await;
///     assert_eq!((first, sim.now()), (1, SimTime::from_ns(3)));
/// });
/// simulation.run()?;
/// # Ok::<(), kernbench_engine::SimError>(())
/// ```
pub fn any_of<F: Future + Unpin>(futures: Vec<F>) -> AnyOf<F> {
    AnyOf { futures }
}

/// The future returned by [`all_of`].
#[must_use = "all_of does nothing unless awaited"]
#[derive(Debug)]
pub struct AllOf<F: Future> {
    futures: Vec<Option<F>>,
    outputs: Vec<Option<F::Output>>,
}

impl<F: Future + Unpin> Future for AllOf<F>
where
    F::Output: Unpin,
{
    type Output = Vec<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let mut pending = false;
        for (slot, output) in this.futures.iter_mut().zip(this.outputs.iter_mut()) {
            if let Some(future) = slot {
                match Pin::new(future).poll(cx) {
                    Poll::Ready(v) => {
                        *output = Some(v);
                        *slot = None;
                    }
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            return Poll::Pending;
        }
        Poll::Ready(this.outputs.iter_mut().filter_map(Option::take).collect())
    }
}

/// The future returned by [`any_of`].
#[must_use = "any_of does nothing unless awaited"]
#[derive(Debug)]
pub struct AnyOf<F> {
    futures: Vec<F>,
}

impl<F: Future + Unpin> Future for AnyOf<F> {
    type Output = (usize, F::Output);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        for (i, future) in this.futures.iter_mut().enumerate() {
            if let Poll::Ready(v) = Pin::new(future).poll(cx) {
                this.futures.clear();
                return Poll::Ready((i, v));
            }
        }
        Poll::Pending
    }
}
