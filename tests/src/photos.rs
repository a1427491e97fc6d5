//! Photo-sized files of pseudo-random bytes, written as a camera import writes them, with the
//! digests the bucket must end up holding.

use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest as _, Sha256};

/// One MiB.
pub const MIB: u64 = 1024 * 1024;

/// A file written for a test, with what the bucket must end up holding for it.
pub struct Photo {
    pub name: String,
    pub path: PathBuf,
    pub size: u64,
    pub sha256: String,
    /// Base64 of the big-endian CRC64/NVME, as S3 reports it.
    pub crc64nvme: String,
}

/// `size` pseudo-random bytes (xorshift from `seed`), written in 1 MiB chunks to a hidden
/// temporary name and renamed in (as a camera import does), hashed on the way.
pub fn write_photo(dir: &Path, name: &str, size: u64, seed: u64) -> Photo {
    let temporary = dir.join(format!(".{name}.tmp"));
    let mut out = BufWriter::new(File::create(&temporary).expect("create test file"));
    let mut sha = Sha256::new();
    let mut crc = crc64fast_nvme::Digest::new();
    let mut state = seed | 1;
    let mut left = size;
    let mut chunk = Vec::new();
    while left > 0 {
        chunk.clear();
        let n = usize::try_from(left.min(MIB)).expect("at most 1 MiB");
        while chunk.len() < n {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            chunk.extend_from_slice(&state.to_le_bytes());
        }
        chunk.truncate(n);
        out.write_all(&chunk).expect("write test file");
        sha.update(&chunk);
        crc.write(&chunk);
        left -= u64::try_from(n).expect("small");
    }
    out.flush().expect("flush test file");
    drop(out);
    let path = dir.join(name);
    std::fs::rename(&temporary, &path).expect("rename into place");
    Photo::hashed(path, size, sha, &crc)
}

impl Photo {
    /// The photo at `path` whose bytes went through `sha` and `crc`.
    pub fn hashed(path: PathBuf, size: u64, sha: Sha256, crc: &crc64fast_nvme::Digest) -> Self {
        Self {
            name: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            path,
            size,
            sha256: hex::encode(sha.finalize()),
            crc64nvme: BASE64.encode(crc.sum64().to_be_bytes()),
        }
    }
}
