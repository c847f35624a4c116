//! Compiles the one piece of C: Redis's long-double arithmetic for
//! INCRBYFLOAT, which Rust has no type for (see csrc/longdouble.c).

fn main() {
    println!("cargo:rerun-if-changed=csrc/longdouble.c");
    cc::Build::new()
        .file("csrc/longdouble.c")
        .warnings(true)
        .compile("kvlongdouble");
}
