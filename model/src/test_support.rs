//! Helpers shared by the unit tests: the bundled files and small edits of them.

use crate::{ModelError, Topology};

/// The bundled topology files, by file name.
pub(crate) const BUNDLED: [(&str, &str); 6] = [
    ("default.ron", include_str!("../../topologies/default.ron")),
    ("ring8.ron", include_str!("../../topologies/ring8.ron")),
    ("mesh2x2.ron", include_str!("../../topologies/mesh2x2.ron")),
    (
        "torus4x4.ron",
        include_str!("../../topologies/torus4x4.ron"),
    ),
    (
        "multicube2x4.ron",
        include_str!("../../topologies/multicube2x4.ron"),
    ),
    ("ring64.ron", include_str!("../../topologies/ring64.ron")),
];

/// A bundled topology, loaded.
pub(crate) fn bundled(name: &str) -> Topology {
    let (_, text) = BUNDLED
        .iter()
        .find(|(file, _)| *file == name)
        .unwrap_or_else(|| panic!("no bundled file {name}"));
    Topology::from_ron_str(text, name).unwrap_or_else(|e| panic!("{e}"))
}

/// default.ron with the first `old` replaced by `new`.
pub(crate) fn default_with(old: &str, new: &str) -> String {
    let text = BUNDLED[0].1;
    assert!(text.contains(old), "default.ron has no {old:?}");
    text.replacen(old, new, 1)
}

/// The error from loading `text` as `t.ron`.
pub(crate) fn load_error(text: &str) -> ModelError {
    match Topology::from_ron_str(text, "t.ron") {
        Ok(_) => panic!("loaded without error:\n{text}"),
        Err(e) => e,
    }
}
