//! How the window is painted. WebKitGTK composites the page with OpenGL; on a machine without a
//! GPU that OpenGL is a software rasteriser, and compositing through it costs far more than
//! painting the page directly: with a 1,000-step mission running, frames took 0.5 s composited
//! and 16 ms (median) painted directly on the same machine. So without a GPU render node the app
//! asks WebKit not to composite, unless the operator already chose (the variable is set).

use std::path::Path;

/// The WebKit variable that turns accelerated compositing off (any value but `0`).
const DISABLE_COMPOSITING: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";

/// Marks the page as painted directly (`<html data-painting="direct">`); its styles then stop
/// animations and transitions.
pub const MARK_PAGE: &str = "document.documentElement.dataset.painting = 'direct';";

/// Whether the machine has a GPU the page could be composited on (a DRM render node).
pub fn has_render_node(dri: &Path) -> bool {
    std::fs::read_dir(dri).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("renderD"))
    })
}

/// Chooses direct painting on machines without a GPU, unless the operator already set the
/// variable; returns whether the page is painted directly (chosen here or by the operator).
/// Runs first thing at start-up, before any thread or window exists (WebKit reads the
/// environment when its processes start).
pub fn choose() -> bool {
    if !cfg!(target_os = "linux") {
        return false;
    }
    match std::env::var_os(DISABLE_COMPOSITING) {
        Some(value) => value != "0",
        None if has_render_node(Path::new("/dev/dri")) => false,
        None => {
            std::env::set_var(DISABLE_COMPOSITING, "1");
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_render_node_is_a_gpu() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!has_render_node(dir.path()), "an empty folder has no GPU");
        assert!(!has_render_node(&dir.path().join("missing")));
        std::fs::write(dir.path().join("card0"), "").unwrap();
        assert!(
            !has_render_node(dir.path()),
            "a display card alone is not a render node"
        );
        std::fs::write(dir.path().join("renderD128"), "").unwrap();
        assert!(has_render_node(dir.path()));
    }
}
