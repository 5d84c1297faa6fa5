//! Reading a body under the limit: the one place the size and time limits are enforced
//! on the bytes themselves, and where the buffer budget is charged what is really held.

use std::fmt::Display;

use bytes::{Buf, Bytes};
use futures_util::{Stream, StreamExt};

use crate::Rejection;
use crate::pipeline::budget::Charge;

/// Collect `body` into one buffer, failing as soon as it passes `limit` bytes, or, with a
/// `charge`, as soon as the shared buffer budget cannot hold what the buffer needs next.
///
/// A body of one chunk is kept without copying (charged its length). From the second
/// chunk on, the chunks are copied into one buffer, grown by doubling up to `limit` (never
/// sized by what `Content-Length` announces, so a slow sender holds only what it has sent,
/// at most twice over); the budget is charged the buffer's whole capacity before it is
/// allocated, and the first chunk is let go once copied.
pub(crate) async fn collect_limited<St, D, E>(
    body: St,
    limit: usize,
    mut charge: Option<&mut Charge>,
) -> Result<Bytes, Rejection>
where
    St: Stream<Item = Result<D, E>>,
    D: Buf,
    E: Display,
{
    let mut body = std::pin::pin!(body);
    let mut held = Held::Nothing;
    let mut len = 0usize;
    while let Some(chunk) = body.next().await {
        let mut chunk = chunk.map_err(|e| {
            tracing::debug!(error = %e, "request body failed");
            Rejection::BodyRead
        })?;
        let n = chunk.remaining();
        len = len.saturating_add(n);
        if len > limit {
            return Err(Rejection::BodyTooLarge);
        }
        if n == 0 {
            continue;
        }
        // What the request holds once this chunk is in.
        let size = match &held {
            Held::Nothing => n,
            // Sized by what has arrived, never by what `Content-Length` announces: a slow
            // sender holds only what it has sent.
            Held::One(_) => len,
            Held::Many(buf) if buf.capacity() >= len => buf.capacity(),
            Held::Many(buf) => len.max(buf.capacity().saturating_mul(2).min(limit)),
        };
        if let Some(charge) = charge.as_deref_mut()
            && !charge.set(size)
        {
            return Err(Rejection::BufferBudgetExhausted);
        }
        held = match held {
            Held::Nothing => Held::One(chunk.copy_to_bytes(n)),
            Held::One(first) => {
                let mut buf = Vec::with_capacity(size);
                buf.extend_from_slice(&first);
                drop(first);
                put(&mut buf, chunk);
                Held::Many(buf)
            }
            Held::Many(mut buf) => {
                buf.reserve_exact(size - buf.len());
                put(&mut buf, chunk);
                Held::Many(buf)
            }
        };
    }
    Ok(match held {
        Held::Nothing => Bytes::new(),
        Held::One(bytes) => bytes,
        Held::Many(buf) => Bytes::from(buf),
    })
}

/// The body read so far.
enum Held {
    Nothing,
    /// One chunk, kept as it came.
    One(Bytes),
    /// Two or more, copied into one buffer.
    Many(Vec<u8>),
}

/// Append every byte of `chunk` to `buf` (whose capacity the caller has made room in).
fn put(buf: &mut Vec<u8>, mut chunk: impl Buf) {
    while chunk.has_remaining() {
        let part = chunk.chunk();
        buf.extend_from_slice(part);
        let n = part.len();
        chunk.advance(n);
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::stream;

    fn chunks(parts: &[&'static [u8]]) -> impl Stream<Item = Result<Bytes, &'static str>> {
        stream::iter(
            parts
                .iter()
                .map(|p| Ok(Bytes::from_static(p)))
                .collect::<Vec<_>>(),
        )
    }

    #[tokio::test]
    async fn joins_chunks_up_to_the_limit() {
        assert_eq!(
            collect_limited(chunks(&[b"ab", b"", b"cd"]), 4, None)
                .await
                .unwrap(),
            "abcd"
        );
        assert_eq!(
            collect_limited(chunks(&[b"abcd"]), 4, None).await.unwrap(),
            "abcd"
        );
        assert_eq!(collect_limited(chunks(&[]), 4, None).await.unwrap(), "");
    }

    #[tokio::test]
    async fn stops_past_the_limit() {
        assert_eq!(
            collect_limited(chunks(&[b"ab", b"cde"]), 4, None).await,
            Err(Rejection::BodyTooLarge)
        );
    }

    #[tokio::test]
    async fn charges_the_budget_per_chunk() {
        use crate::pipeline::budget::BufferBudget;
        use std::sync::Arc;
        let budget = Arc::new(BufferBudget::new(5));
        let mut charge = Charge::new(budget.clone());
        let body = collect_limited(chunks(&[b"ab", b"cd"]), 100, Some(&mut charge)).await;
        assert_eq!(body.unwrap(), "abcd");
        assert_eq!(budget.in_use(), 4);
        let mut other = Charge::new(budget.clone());
        assert_eq!(
            collect_limited(chunks(&[b"x", b"yz"]), 100, Some(&mut other)).await,
            Err(Rejection::BufferBudgetExhausted)
        );
        drop((charge, other));
        assert_eq!(budget.in_use(), 0);
    }

    #[tokio::test]
    async fn stream_errors_are_body_read() {
        let s = stream::iter(vec![Ok(Bytes::from_static(b"a")), Err("reset")]);
        assert_eq!(collect_limited(s, 4, None).await, Err(Rejection::BodyRead));
    }

    /// The budget is charged what the request really holds: the first chunk while it is
    /// alone, then the whole capacity of the buffer the chunks are copied into (doubled as
    /// it fills, up to the limit), never the first chunk twice.
    #[tokio::test]
    async fn charges_what_is_held() {
        use crate::pipeline::budget::BufferBudget;
        use std::sync::Arc;
        let budget = Arc::new(BufferBudget::new(1 << 20));
        let parts: Vec<&'static [u8]> = vec![&[b'x'; 100]; 10];
        // Capacity grows 200, 400, 800, 1600, and is what is charged.
        let mut charge = Charge::new(budget.clone());
        let body = collect_limited(chunks(&parts), 4096, Some(&mut charge)).await;
        assert_eq!(body.unwrap().len(), 1000);
        assert_eq!(charge.bytes(), 1600);
        // Never past the limit, even when doubling would be.
        let mut capped = Charge::new(budget.clone());
        let body = collect_limited(chunks(&parts), 1000, Some(&mut capped)).await;
        assert_eq!(body.unwrap().len(), 1000);
        assert_eq!(capped.bytes(), 1000);
        // Two chunks: one buffer of exactly their size.
        let mut two = Charge::new(budget.clone());
        let body = collect_limited(chunks(&parts[..2]), 1000, Some(&mut two)).await;
        assert_eq!(body.unwrap().len(), 200);
        assert_eq!(two.bytes(), 200);
        drop((charge, capped, two));
        assert_eq!(budget.in_use(), 0);
        // One chunk: kept as is, charged its length.
        let mut one = Charge::new(budget.clone());
        let body = collect_limited(chunks(&parts[..1]), 1000, Some(&mut one)).await;
        assert_eq!(body.unwrap().len(), 100);
        assert_eq!(one.bytes(), 100);
    }
}
