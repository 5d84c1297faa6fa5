//! A warp [`Filter`] that receives Tencent webhooks with [`tencent_webhook_core`].
//!
//! [`webhook`] turns a [`WebhookService`] into a filter that you put behind your own path
//! filter and combine with your other routes. All protocol logic lives in the core; this
//! crate only hands it warp's method, query, headers and body stream, and hands its answer
//! back.
//!
//! ```
//! use warp::Filter;
//! use tencent_webhook_core::{Ack, Event, SdkApp, Webhook, WebhookConfig, WebhookService};
//!
//! let config = WebhookConfig::builder()
//!     .app(SdkApp::new(1400000000).token("my-callback-token"))
//!     .build()
//!     .unwrap();
//! let service = WebhookService::from_fn(config, |hook: Webhook| async move {
//!     if let Event::Recording(rec) = hook.event {
//!         println!("recording {:?}: {:?}", rec.info.task_id, rec.info.payload);
//!     }
//!     Ack::ok()
//! });
//!
//! // Your existing app, with one more route.
//! let health = warp::path!("healthz").and(warp::get()).map(|| "ok");
//! let callback = warp::path!("tencent" / "callback").and(tencent_webhook_warp::webhook(service));
//! let routes = health.or(callback);
//! # let _ = async { warp::serve(routes).run(([127, 0, 0, 1], 8080)).await };
//! ```
//!
//! # How it composes
//!
//! - **Path**: the filter matches no path of its own, so put it *behind* yours:
//!   `warp::path!("tencent" / "callback").and(webhook(service))`. (`path!` ends the path;
//!   `warp::path("a").and(webhook(..))` would also take `/a/anything`.) On its own,
//!   `webhook(service)` answers every request.
//! - **Method**: it takes every method, so on its path a `GET` gets the core's
//!   `405` FAIL envelope with `Allow: POST`, exactly as in the other adapters. A route of
//!   yours for another method on the same path must come before it in `.or()`.
//! - **Always a reply**: its error type is [`Infallible`]. Once a request reaches it (its
//!   path matched), the answer is the core's: the OK envelope, or a FAIL envelope with the
//!   core's status — never a warp rejection turning into warp's own 404/405/411/500 text,
//!   and never a fall-through to a later `.or()` branch. Rejections from *your* filters
//!   in front of it (a path that does not match) still go on to your other routes.
//! - **Body**: read with [`warp::body::stream()`] under the core's body limit and timeout:
//!   chunked bodies are fine (no `411`), and a declared or streamed body over the limit gets
//!   the core's `413`. Do not put `warp::body::content_length_limit` or another body
//!   filter in front of it; if an earlier filter has already taken the body, the request
//!   is answered with the core's `400` "body could not be read".
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::convert::Infallible;

use bytes::{Buf, Bytes};
use futures_util::{Stream, StreamExt, stream};
use http::{HeaderMap, Method, Uri};
use tencent_webhook_core::{BoxError, IntoAck, Webhook, WebhookResponse, WebhookService};
use tower_service::Service;
use warp::Filter;
use warp::path::FullPath;
use warp::reply::{Reply, Response};

/// A filter that answers every request it sees with `service`: combine it with your own
/// path filter, e.g. `warp::path!("tencent" / "callback").and(webhook(service))`.
///
/// It never rejects (see the [crate docs](crate) for how it composes). The reply is
/// the core's response as a warp [`Response`].
pub fn webhook<S>(
    service: WebhookService<S>,
) -> impl Filter<Extract = (Response,), Error = Infallible> + Clone + Send + Sync + 'static
where
    S: Service<Webhook> + Clone + Send + Sync + 'static,
    S::Future: Send + 'static,
    S::Response: IntoAck,
    S::Error: Into<BoxError>,
{
    // `query::raw()` and `body::stream()` reject when there is no query string or the
    // body is gone; turn both into `None` so the core decides the answer.
    let query = warp::query::raw()
        .map(Some)
        .or(warp::any().map(|| None))
        .unify();
    // An earlier filter that took the body leaves none: the core reads that as a broken
    // body stream (400), like any other body error.
    let body = warp::body::stream()
        .map(|chunks| as_bytes(chunks).left_stream())
        .or(warp::any().map(|| stream::iter([Err(BODY_TAKEN.to_owned())]).right_stream()))
        .unify();
    warp::method()
        .and(warp::path::full())
        .and(query)
        .and(warp::header::headers_cloned())
        .and(body)
        .then(
            move |method: Method,
                  path: FullPath,
                  query: Option<String>,
                  headers: HeaderMap,
                  body| {
                let service = service.clone();
                async move {
                    let uri = request_uri(path.as_str(), query);
                    into_reply(service.handle(&method, &uri, &headers, body).await)
                }
            },
        )
}

/// The request's path and query as a [`Uri`] again (warp hands them out separately).
fn as_bytes(
    chunks: impl Stream<Item = Result<impl Buf, warp::Error>>,
) -> impl Stream<Item = Result<Bytes, String>> {
    chunks.map(|chunk| {
        chunk
            .map(|mut buf| buf.copy_to_bytes(buf.remaining()))
            .map_err(|e| e.to_string())
    })
}

const BODY_TAKEN: &str = "the request body was taken by an earlier filter";

fn request_uri(path: &str, query: Option<String>) -> Uri {
    let uri = match query {
        Some(query) => format!("{path}?{query}").parse(),
        None => path.parse(),
    };
    // Both parts come from a URI hyper has already parsed, so this does not fail.
    uri.unwrap_or_default()
}

fn into_reply(response: WebhookResponse) -> Response {
    // The core's body is a `Full` that has not been polled: take its bytes as they are.
    response.map(|body| body.into_inner()).into_response()
}

#[cfg(test)]
mod tests;
