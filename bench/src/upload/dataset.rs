//! Deterministic, incompressible "photos": the same bytes on every run and machine,
//! so runs compare and Garage's block dedup keeps its disk use at one copy.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::target::Contents;
use crate::splitmix::SplitMix;

/// A set of files to upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// 200 × 25 MiB: a day's shoot of large RAW files.
    Bulk,
    /// One 2 GiB file (a video or a huge scan).
    Big,
    /// 2,000 × 256 KiB: many small files, where per-request costs dominate.
    Small,
    /// 6 × 1 MiB and 1 × 40 MiB: the smoke run (both the single-put and the multipart path).
    Smoke,
}

impl Workload {
    pub const ALL: [Self; 3] = [Self::Bulk, Self::Big, Self::Small];

    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Bulk => "bulk",
            Self::Big => "big",
            Self::Small => "small",
            Self::Smoke => "smoke",
        }
    }

    /// Parse a name from the command line.
    ///
    /// # Errors
    /// When the name is not a workload.
    pub fn parse(name: &str) -> Result<Self> {
        [Self::Bulk, Self::Big, Self::Small, Self::Smoke]
            .into_iter()
            .find(|w| w.name() == name)
            .with_context(|| format!("unknown workload {name:?}: use bulk, big, small or smoke"))
    }

    #[must_use]
    pub fn description(self) -> &'static str {
        match self {
            Self::Bulk => "200 × 25 MiB",
            Self::Big => "1 × 2 GiB",
            Self::Small => "2,000 × 256 KiB",
            Self::Smoke => "6 × 1 MiB + 1 × 40 MiB",
        }
    }

    /// (file name, size in bytes) for every file of the set.
    #[must_use]
    pub fn files(self) -> Vec<(String, u64)> {
        const MIB: u64 = 1 << 20;
        let many = |n: usize, size: u64| -> Vec<(String, u64)> {
            (0..n).map(|i| (format!("IMG_{i:05}.CR3"), size)).collect()
        };
        match self {
            Self::Bulk => many(200, 25 * MIB),
            Self::Big => vec![("VIDEO_0001.CR3".to_owned(), 2048 * MIB)],
            Self::Small => many(2000, MIB / 4),
            Self::Smoke => {
                let mut files = many(6, MIB);
                files.push(("IMG_LARGE.CR3".to_owned(), 40 * MIB));
                files
            }
        }
    }
}

/// A generated workload on disk.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub workload: Workload,
    pub dir: PathBuf,
    pub files: usize,
    pub bytes: u64,
}

impl Dataset {
    /// What a bucket holds once the whole set is uploaded.
    #[must_use]
    pub fn contents(&self) -> Contents {
        Contents {
            objects: self.files,
            bytes: self.bytes,
        }
    }

    /// Read every file of the set once, so that it sits in the page cache before the first
    /// timed run: otherwise the first tool of round 1 pays for cold reads that the others skip.
    /// Returns the bytes read (the whole set, unless the folder changed).
    ///
    /// # Errors
    /// When a file cannot be read.
    pub fn warm_page_cache(&self) -> Result<u64> {
        let mut read = 0;
        for entry in
            std::fs::read_dir(&self.dir).with_context(|| format!("list {}", self.dir.display()))?
        {
            let path = entry?.path();
            let mut file = File::open(&path).with_context(|| format!("open {}", path.display()))?;
            read += std::io::copy(&mut file, &mut std::io::sink())
                .with_context(|| format!("read {}", path.display()))?;
        }
        Ok(read)
    }
}

/// The workload's files under `root/<name>`, written once and reused while complete.
///
/// # Errors
/// When the files cannot be written.
pub fn ensure(root: &Path, workload: Workload) -> Result<Dataset> {
    let dir = root.join(workload.name());
    let files = workload.files();
    let bytes = files.iter().map(|(_, size)| size).sum();
    // Beside the folder, not in it: every file in the folder is uploaded.
    let stamp = root.join(format!("{}.complete", workload.name()));
    let want = format!("v1 {} files {bytes} bytes\n", files.len());
    if std::fs::read_to_string(&stamp).ok().as_deref() != Some(want.as_str()) {
        eprintln!("writing {} ({})", dir.display(), workload.description());
        std::fs::create_dir_all(&dir).with_context(|| format!("create {}", dir.display()))?;
        for (i, (name, size)) in files.iter().enumerate() {
            let seed = fnv1a(workload.name().as_bytes()) ^ (i as u64);
            write_random(&dir.join(name), *size, seed)?;
        }
        std::fs::write(&stamp, &want).with_context(|| format!("write {}", stamp.display()))?;
    }
    Ok(Dataset {
        workload,
        dir,
        files: files.len(),
        bytes,
    })
}

/// `size` pseudo-random bytes from `seed` (SplitMix64: tiny, fast and stable forever,
/// unlike `rand`'s generators, whose streams may change between versions).
///
/// # Errors
/// When the file cannot be written.
pub fn write_random(path: &Path, size: u64, seed: u64) -> Result<()> {
    let file = File::create(path).with_context(|| format!("create {}", path.display()))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let mut rng = SplitMix(seed);
    let mut block = vec![0u8; 1 << 20];
    let mut left = size;
    while left > 0 {
        rng.fill(&mut block);
        let n = usize::try_from(left.min(block.len() as u64)).unwrap_or(block.len());
        out.write_all(&block[..n])
            .with_context(|| format!("write {}", path.display()))?;
        left -= n as u64;
    }
    out.flush()
        .with_context(|| format!("write {}", path.display()))?;
    Ok(())
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_bytes_and_files_differ() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (a, b, c) = (
            dir.path().join("a"),
            dir.path().join("b"),
            dir.path().join("c"),
        );
        write_random(&a, 3 << 20, 7).expect("write a");
        write_random(&b, 3 << 20, 7).expect("write b");
        write_random(&c, 3 << 20, 8).expect("write c");
        let read = |p: &Path| std::fs::read(p).expect("read");
        assert_eq!(read(&a), read(&b), "the same seed must give the same bytes");
        assert_ne!(read(&a), read(&c), "another seed must give other bytes");
        assert_eq!(read(&a).len(), 3 << 20);
    }

    #[test]
    fn names_parse_back() {
        for w in [
            Workload::Bulk,
            Workload::Big,
            Workload::Small,
            Workload::Smoke,
        ] {
            assert_eq!(Workload::parse(w.name()).expect("known"), w);
        }
        assert!(Workload::parse("huge").is_err());
    }
}
