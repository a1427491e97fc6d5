//! SHA-256 on a second thread while the reading thread computes the CRC64/NVME, for large
//! files.
//!
//! A large file's fingerprint is the only thing between it settling and its first byte going up
//! (the key plan and the object metadata need its SHA-256), so its time is added to the upload.
//! A profile of a 2 GiB push showed that pass as SHA-256 (about three quarters: SHA-NI runs at
//! ~1.7 GB/s) plus the read and the CRC. Hashing on a helper thread overlaps the two: the pass
//! takes about as long as the SHA-256 alone. Memory: [`BUFFERS`] chunk buffers instead of one.

use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};
use std::thread::{Scope, ScopedJoinHandle};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest as _, Sha256};

use super::fingerprint::{CHUNK_SIZE, ChunkSink, ContentSums};

/// Chunk buffers in rotation: one being read, one being hashed, one queued.
pub(super) const BUFFERS: usize = 3;

/// The reading side: CRC64/NVME here, each chunk then handed to the SHA-256 thread, which
/// hands the buffer back.
pub(super) struct ParallelDigest<'scope> {
    crc64nvme: crc64fast_nvme::Digest,
    size: u64,
    to_hash: Option<SyncSender<(Vec<u8>, usize)>>,
    returned: Receiver<Vec<u8>>,
    spare: Vec<Vec<u8>>,
    hasher: ScopedJoinHandle<'scope, Sha256>,
}

impl<'scope> ParallelDigest<'scope> {
    /// Start the SHA-256 thread in `scope`.
    pub(super) fn start<'env>(scope: &'scope Scope<'scope, 'env>) -> Self {
        let (to_hash, chunks) = sync_channel::<(Vec<u8>, usize)>(BUFFERS);
        let (give_back, returned) = channel::<Vec<u8>>();
        let hasher = scope.spawn(move || hash_chunks(&chunks, &give_back));
        Self {
            crc64nvme: crc64fast_nvme::Digest::new(),
            size: 0,
            to_hash: Some(to_hash),
            returned,
            spare: (0..BUFFERS).map(|_| vec![0_u8; CHUNK_SIZE]).collect(),
            hasher,
        }
    }

    /// Wait for the SHA-256 thread and finish both sums.
    pub(super) fn finish(mut self) -> ContentSums {
        self.to_hash = None; // ends the thread's loop
        let sha256 = match self.hasher.join() {
            Ok(sha256) => sha256,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        ContentSums {
            sha256_hex: hex::encode(sha256.finalize()),
            crc64nvme_base64: BASE64.encode(self.crc64nvme.sum64().to_be_bytes()),
            size: self.size,
        }
    }
}

impl ChunkSink for ParallelDigest<'_> {
    /// A buffer to read the next chunk into: a spare one, or the next one the SHA-256 thread
    /// is done with.
    fn buffer(&mut self) -> Vec<u8> {
        self.spare
            .pop()
            .or_else(|| self.returned.recv().ok())
            .unwrap_or_else(|| vec![0_u8; CHUNK_SIZE])
    }

    /// The first `n` bytes of `buffer` are the next chunk.
    fn update(&mut self, buffer: Vec<u8>, n: usize) {
        self.crc64nvme.write(&buffer[..n]);
        self.size += u64::try_from(n).unwrap_or(u64::MAX);
        let sent = self
            .to_hash
            .as_ref()
            .is_some_and(|to_hash| to_hash.send((buffer, n)).is_ok());
        if !sent {
            // Only a panic stops that thread; `finish` passes it on.
            tracing::error!("the SHA-256 thread stopped before the end of the file");
        }
    }

    /// A buffer not used after all (end of file, error).
    fn put_back(&mut self, buffer: Vec<u8>) {
        self.spare.push(buffer);
    }

    /// Bytes seen so far.
    fn size(&self) -> u64 {
        self.size
    }
}

fn hash_chunks(chunks: &Receiver<(Vec<u8>, usize)>, give_back: &Sender<Vec<u8>>) -> Sha256 {
    let mut sha256 = Sha256::new();
    for (buffer, n) in chunks {
        sha256.update(&buffer[..n]);
        // The reader may have stopped early (an error, a cancel): it no longer needs buffers.
        if give_back.send(buffer).is_err() {
            tracing::trace!("fingerprint reader gone; SHA-256 thread drains");
        }
    }
    sha256
}
