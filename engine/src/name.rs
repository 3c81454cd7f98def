//! [`Name`]: what a process is called, or how a wait is described, rendered only when a
//! report, an error or a trace needs the text.

use std::borrow::Cow;
use std::fmt;
use std::rc::Rc;

/// A process name or a wait label.
///
/// Text converts into it (`&'static str`, `String`, `Cow<'static, str>`, `Rc<str>`), so
/// `sim.spawn("producer", ...)` and `sim.spawn(format!("rank{r}"), ...)` both work. A model
/// that starts processes or waits at a high rate (a process per message, a labelled wait per
/// receive) can instead hand over the *parts* of its name with [`Name::lazy`]: a small value
/// that implements [`Display`](fmt::Display), formatted only if a deadlock report, an error or
/// [`Sim::process_name`](crate::Sim::process_name) asks for it. The text is the same either
/// way; only when it is made differs.
///
/// Cloning is cheap for every form but an owned `String` (which is shared, as `Rc<str>`, once
/// a [`Labelled`](crate::Labelled) wait takes it).
///
/// ```
/// use std::fmt;
/// use kernbench_engine::{Name, Simulation};
///
/// struct Send { from: u32, to: u32 }
/// impl fmt::Display for Send {
///     fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
///         write!(f, "rank{} send -> rank{}", self.from, self.to)
///     }
/// }
///
/// let mut simulation = Simulation::new();
/// let sim = simulation.handle();
/// let send = simulation.spawn(Name::lazy(Send { from: 3, to: 4 }), async {});
/// assert_eq!(sim.process_name(send.id()).as_deref(), Some("rank3 send -> rank4"));
/// ```
#[derive(Clone)]
pub struct Name(Repr);

#[derive(Clone)]
enum Repr {
    Static(&'static str),
    Owned(String),
    Shared(Rc<str>),
    Lazy(Rc<dyn fmt::Display>),
}

impl Name {
    /// A name formatted from `parts` when it is first shown, never before.
    pub fn lazy(parts: impl fmt::Display + 'static) -> Name {
        Name(Repr::Lazy(Rc::new(parts)))
    }

    /// The same name in a form whose clones share one allocation.
    pub(crate) fn into_shared(self) -> Name {
        match self.0 {
            Repr::Owned(s) => Name(Repr::Shared(Rc::from(s))),
            other => Name(other),
        }
    }

    /// Takes the name out, leaving an empty one.
    pub(crate) fn take(&mut self) -> Name {
        std::mem::take(self)
    }
}

impl Default for Name {
    fn default() -> Self {
        Name(Repr::Static(""))
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Static(s) => f.write_str(s),
            Repr::Owned(s) => f.write_str(s),
            Repr::Shared(s) => f.write_str(s),
            Repr::Lazy(parts) => parts.fmt(f),
        }
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.to_string(), f)
    }
}

impl From<&'static str> for Name {
    fn from(s: &'static str) -> Self {
        Name(Repr::Static(s))
    }
}

impl From<String> for Name {
    fn from(s: String) -> Self {
        Name(Repr::Owned(s))
    }
}

impl From<Cow<'static, str>> for Name {
    fn from(s: Cow<'static, str>) -> Self {
        match s {
            Cow::Borrowed(s) => Name(Repr::Static(s)),
            Cow::Owned(s) => Name(Repr::Owned(s)),
        }
    }
}

impl From<Rc<str>> for Name {
    fn from(s: Rc<str>) -> Self {
        Name(Repr::Shared(s))
    }
}

#[cfg(test)]
mod tests {
    use super::Name;
    use std::borrow::Cow;
    use std::cell::Cell;
    use std::fmt;
    use std::rc::Rc;

    /// Counts how often it is formatted.
    struct Counted(Rc<Cell<u32>>);

    impl fmt::Display for Counted {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.0.set(self.0.get() + 1);
            f.write_str("counted")
        }
    }

    #[test]
    fn every_form_shows_its_text() {
        assert_eq!(Name::from("a").to_string(), "a");
        assert_eq!(Name::from(String::from("b")).to_string(), "b");
        assert_eq!(Name::from(Cow::Borrowed("c")).to_string(), "c");
        assert_eq!(Name::from(Rc::<str>::from("d")).to_string(), "d");
        assert_eq!(Name::from(String::from("e")).into_shared().to_string(), "e");
        assert_eq!(format!("{:?}", Name::from("f")), "\"f\"");
        assert_eq!(Name::default().to_string(), "");
    }

    #[test]
    fn a_lazy_name_is_formatted_only_when_shown() {
        let count = Rc::new(Cell::new(0));
        let name = Name::lazy(Counted(count.clone()));
        let copy = name.clone().into_shared();
        assert_eq!(count.get(), 0);
        assert_eq!(copy.to_string(), "counted");
        assert_eq!(count.get(), 1);
    }
}
