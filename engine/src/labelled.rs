//! `Sim::labelled`: describe a wait in the words of the model that makes it.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::name::Name;
use crate::sim::Sim;

/// The future returned by [`Sim::labelled`].
#[derive(Debug)]
pub struct Labelled<'a, F> {
    sim: &'a Sim,
    /// Shared, so that marking the process on every poll where it waits copies nothing.
    label: Name,
    future: F,
}

impl<'a, F> Labelled<'a, F> {
    pub(crate) fn new(sim: &'a Sim, label: Name, future: F) -> Self {
        Labelled {
            sim,
            label: label.into_shared(),
            future,
        }
    }
}

impl<F: Future> Future for Labelled<'_, F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: `future` is structurally pinned: it is never moved out of `self`, and the
        // other fields are not pinned.
        let this = unsafe { self.get_unchecked_mut() };
        let future = unsafe { Pin::new_unchecked(&mut this.future) };
        match future.poll(cx) {
            Poll::Ready(v) => Poll::Ready(v),
            Poll::Pending => {
                this.sim.set_label(this.label.clone());
                Poll::Pending
            }
        }
    }
}
