// embed_migrations! reads migrations/ at compile time but cargo does not know that:
// tell it to rebuild when a migration changes.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
