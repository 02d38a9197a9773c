//! The TypeScript types in `ui/src/gen/` must match the Rust DTOs.

use std::path::Path;

#[test]
fn generated_ts_types_are_up_to_date() {
    let gen_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../ui/src/gen");
    let update = std::env::var_os("UPDATE_GENERATED").is_some();
    let mut stale = Vec::new();
    for (name, text) in studio_api::ts_bindings::bindings() {
        let path = gen_dir.join(&name);
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if current != text {
            if update {
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, &text).unwrap();
            } else {
                stale.push(name.display().to_string());
            }
        }
    }
    assert!(
        stale.is_empty(),
        "ui/src/gen is out of date for {stale:?}; run `UPDATE_GENERATED=1 cargo test -p studio-api --test generated_ts` and commit the result"
    );
}
