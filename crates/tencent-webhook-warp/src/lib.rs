//! A warp [`Filter`] that receives Tencent webhooks with [`tencent_webhook_core`].
//!
//! [`webhook`] turns a [`WebhookService`] into a filter that you put behind your own path
//! filter and combine with your other routes. All protocol logic lives in the core; this
//! crate only hands it warp's method, query, the headers the core reads and the body
//! stream, and hands its answer back.
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

use bytes::Bytes;
use futures_util::stream;
use http::{HeaderMap, HeaderValue, Method};
use tencent_webhook_core::{
    BoxError, HeaderValues, IntoAck, RequestHead, Webhook, WebhookResponse, WebhookService,
};
use tower_service::Service;
use warp::Filter;
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
        .map(Some)
        .or(warp::any().map(|| None))
        .unify();
    warp::method()
        .and(query)
        .and(headers(service.scheme().headers_read()))
        .and(body)
        .then(
            move |method: Method, query: Option<String>, headers: Headers, body: Option<_>| {
                let service = service.clone();
                async move {
                    let head = WarpHead {
                        method,
                        query,
                        headers,
                    };
                    let response = match body {
                        Some(body) => service.handle_head(&head, body).await,
                        None => {
                            let taken = stream::iter([Err::<Bytes, _>(BODY_TAKEN)]);
                            service.handle_head(&head, taken).await
                        }
                    };
                    into_reply(response)
                }
            },
        )
}

/// The headers the core reads: warp lends a request's headers only by copy, so when the
/// scheme reads `Content-Length` alone only that value is taken (a reference count, no
/// copy); otherwise the header map is cloned.
fn headers(
    read: &'static [&'static str],
) -> impl Filter<Extract = (Headers,), Error = Infallible> + Clone + Send + Sync + 'static {
    let content_length_only = read == ["content-length"];
    let all = warp::any()
        .and_then(move || async move {
            if content_length_only {
                Err(warp::reject())
            } else {
                Ok(())
            }
        })
        .untuple_one()
        .and(warp::header::headers_cloned())
        .map(Headers::All);
    let content_length = warp::header::value("content-length")
        .map(Some)
        .or(warp::any().map(|| None))
        .unify()
        .map(Headers::ContentLength);
    all.or(content_length).unify()
}

/// What [`headers`] took.
enum Headers {
    All(HeaderMap),
    ContentLength(Option<HeaderValue>),
}

/// The request as the core reads it.
struct WarpHead {
    method: Method,
    query: Option<String>,
    headers: Headers,
}

impl RequestHead for WarpHead {
    fn method(&self) -> &str {
        self.method.as_str()
    }

    fn query(&self) -> Option<&str> {
        self.query.as_deref()
    }

    fn header(&self, name: &'static str) -> HeaderValues<'_> {
        match &self.headers {
            Headers::All(map) => {
                HeaderValues::from_iter(map.get_all(name).iter().map(|v| v.as_bytes()))
            }
            Headers::ContentLength(value) if name == "content-length" => {
                HeaderValues::from_iter(value.as_ref().map(|v| v.as_bytes()))
            }
            // Not taken: the scheme does not read it (`Scheme::headers_read`).
            Headers::ContentLength(_) => HeaderValues::default(),
        }
    }
}

const BODY_TAKEN: &str = "the request body was taken by an earlier filter";

fn into_reply(response: WebhookResponse) -> Response {
    // The core's body is a `Full` that has not been polled: take its bytes as they are.
    response.map(|body| body.into_inner()).into_response()
}

#[cfg(test)]
mod tests;
