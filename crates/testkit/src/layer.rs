//! Uncompressed tar layers for test images: regular files with mode 0644 and a fixed mtime, so
//! the same files always give the same digest.

/// A tar layer of `(path, contents)` files, in the order given.
pub fn tar_layer<P: AsRef<str>, B: AsRef<[u8]>>(files: &[(P, B)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (path, body) in files {
        let body = body.as_ref();
        let mut h = tar::Header::new_gnu();
        h.set_size(body.len() as u64);
        h.set_mode(0o644);
        // 2024-01-01T00:00:00Z, the pusher's default `created`.
        h.set_mtime(1_704_067_200);
        h.set_cksum();
        b.append_data(&mut h, path.as_ref(), body)
            .expect("writing to a Vec cannot fail");
    }
    b.into_inner().expect("writing to a Vec cannot fail")
}
