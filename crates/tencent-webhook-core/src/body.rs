//! Reading a body under the limit: the one place the size and time limits are enforced
//! on the bytes themselves.

use std::fmt::Display;

use bytes::{Buf, Bytes, BytesMut};
use futures_util::{Stream, StreamExt};

use crate::Rejection;
use crate::budget::Charge;

/// Collect `body` into one buffer, failing as soon as it passes `limit` bytes, or, with a
/// `charge`, as soon as the shared buffer budget cannot hold the next chunk. A body of one
/// chunk is kept without copying.
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
    let mut first: Option<Bytes> = None;
    let mut rest: Option<BytesMut> = None;
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
        if let Some(charge) = charge.as_deref_mut()
            && !charge.add(n)
        {
            return Err(Rejection::BufferBudgetExhausted);
        }
        let chunk = chunk.copy_to_bytes(n);
        match (&mut first, &mut rest) {
            (None, _) => first = Some(chunk),
            (Some(f), None) => {
                let mut buf = BytesMut::with_capacity(f.len() + chunk.len());
                buf.extend_from_slice(f);
                buf.extend_from_slice(&chunk);
                rest = Some(buf);
            }
            (Some(_), Some(buf)) => buf.extend_from_slice(&chunk),
        }
    }
    Ok(match (rest, first) {
        (Some(buf), _) => buf.freeze(),
        (None, Some(f)) => f,
        (None, None) => Bytes::new(),
    })
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
        use crate::budget::BufferBudget;
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
}
