//! Mount [`tencent_webhook_core`] into an axum [`Router`] in one line.
//!
//! The core's [`WebhookService`] already is what axum mounts with
//! [`Router::route_service`]; this crate names that in one call and keeps your routes,
//! state and layers as they are. All protocol logic lives in the core.
//!
//! ```
//! use axum::{Router, routing::get};
//! use tencent_webhook_axum::WebhookRouterExt;
//! use tencent_webhook_core::{Ack, Event, SdkApp, Webhook, WebhookConfig, WebhookService};
//!
//! let config = WebhookConfig::builder()
//!     .app(SdkApp::new(1400000000).token("my-callback-token"))
//!     .build()
//!     .unwrap();
//! let webhook = WebhookService::from_fn(config, |hook: Webhook| async move {
//!     if let Event::Recording(rec) = hook.event {
//!         println!("recording {:?}: {:?}", rec.info.task_id, rec.info.payload);
//!     }
//!     Ack::ok()
//! });
//!
//! // Your existing app, with one more route.
//! let app: Router = Router::new()
//!     .route("/healthz", get(|| async { "ok" }))
//!     .tencent_webhook("/tencent/callback", webhook);
//! # let _ = app;
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::convert::Infallible;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use tencent_webhook_core::{WebhookResponse, WebhookService};
use tower_service::Service;

/// A [`WebhookService`] that axum can mount: implemented for every one whose inner
/// service (your callback) is `Send + Sync`. It only names the bounds of
/// [`Router::route_service`] once.
pub trait MountableWebhook:
    Service<Request<Body>, Response = WebhookResponse, Error = Infallible, Future: Send + 'static>
    + Clone
    + Send
    + Sync
    + 'static
{
}

impl<T> MountableWebhook for T where
    T: Service<
            Request<Body>,
            Response = WebhookResponse,
            Error = Infallible,
            Future: Send + 'static,
        > + Clone
        + Send
        + Sync
        + 'static
{
}

/// Adds the webhook route to an existing [`Router`].
pub trait WebhookRouterExt {
    /// Answer Tencent's webhooks at `path` (every method: non-POST requests get the core's
    /// 405 envelope). Equivalent to `router.route_service(path, service)`.
    fn tencent_webhook<S>(self, path: &str, service: WebhookService<S>) -> Self
    where
        WebhookService<S>: MountableWebhook;
}

impl<St> WebhookRouterExt for Router<St>
where
    St: Clone + Send + Sync + 'static,
{
    fn tencent_webhook<S>(self, path: &str, service: WebhookService<S>) -> Self
    where
        WebhookService<S>: MountableWebhook,
    {
        self.route_service(path, service)
    }
}

/// A [`Router`] holding only the webhook route, to `merge` or `nest` into an app.
///
/// It is generic over the app's state `St`, like [`WebhookRouterExt::tencent_webhook`],
/// so it nests into a router that calls `with_state` afterwards:
///
/// ```
/// use axum::{Router, extract::State, routing::get};
/// use tencent_webhook_axum::webhook_router;
/// use tencent_webhook_core::{Ack, SdkApp, Webhook, WebhookConfig, WebhookService};
///
/// #[derive(Clone)]
/// struct AppState {
///     name: &'static str,
/// }
///
/// let config = WebhookConfig::builder().app(SdkApp::new(1400000000).token("t")).build().unwrap();
/// let hook = WebhookService::from_fn(config, |_hook: Webhook| async { Ack::ok() });
/// let state = AppState { name: "my app" };
///
/// let app: Router = Router::new()
///     .route("/name", get(|State(s): State<AppState>| async move { s.name }))
///     .nest("/tencent", webhook_router("/callback", hook)) // POST /tencent/callback
///     .with_state(state);
/// # let _ = app;
/// ```
pub fn webhook_router<St, S>(path: &str, service: WebhookService<S>) -> Router<St>
where
    St: Clone + Send + Sync + 'static,
    WebhookService<S>: MountableWebhook,
{
    Router::new().tencent_webhook(path, service)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::extract::State;
    use axum::routing::get;
    use http_body_util::BodyExt;
    use tencent_webhook_core::test_util::TestRequest;
    use tencent_webhook_core::{Ack, SdkApp, Webhook, WebhookConfig};
    use tower::ServiceExt;

    fn app() -> Router {
        let config = WebhookConfig::builder()
            .app(SdkApp::new(1400000000).token("tok"))
            .build()
            .unwrap();
        let webhook = WebhookService::from_fn(config, |_hook: Webhook| async { Ack::ok() });
        Router::new()
            .route("/healthz", get(|| async { "ok" }))
            .tencent_webhook("/tencent/callback", webhook)
    }

    #[tokio::test]
    async fn webhook_route_beside_the_apps_own() {
        let req = TestRequest::recording(1400000000)
            .token("tok")
            .path("/tencent/callback")
            .into_request()
            .map(Body::new);
        let response = app().oneshot(req).await.unwrap();
        assert_eq!(response.status(), 200);
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(
            &body[..],
            br#"{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}"#
        );

        let health = Request::get("/healthz").body(Body::empty()).unwrap();
        assert_eq!(app().oneshot(health).await.unwrap().status(), 200);
    }

    #[tokio::test]
    async fn other_methods_get_the_core_405() {
        let req = Request::get("/tencent/callback")
            .body(Body::empty())
            .unwrap();
        let response = app().oneshot(req).await.unwrap();
        assert_eq!(response.status(), 405);
        assert_eq!(response.headers()["allow"], "POST");
    }

    #[tokio::test]
    async fn webhook_router_merges() {
        let config = WebhookConfig::builder()
            .app(SdkApp::new(1).insecure_accept_unsigned(tencent_webhook_core::Scheme::Chat))
            .build()
            .unwrap();
        let webhook = WebhookService::from_fn(config, |_hook: Webhook| async { Ack::ok() });
        let app = Router::new().merge(webhook_router("/cb", webhook));
        let req = TestRequest::recording(1)
            .path("/cb")
            .into_request()
            .map(Body::new);
        assert_eq!(app.oneshot(req).await.unwrap().status(), 200);
    }

    /// The app's own state, which its other routes read.
    #[derive(Clone)]
    struct AppState {
        greeting: &'static str,
    }

    #[tokio::test]
    async fn webhook_router_nests_into_a_router_with_state() {
        let config = WebhookConfig::builder()
            .app(SdkApp::new(1400000000).token("tok"))
            .build()
            .unwrap();
        let hook = WebhookService::from_fn(config, |_hook: Webhook| async { Ack::ok() });
        let state = AppState { greeting: "hello" };

        let app = Router::new()
            .route(
                "/greet",
                get(|State(s): State<AppState>| async move { s.greeting }),
            )
            .nest("/tencent", webhook_router("/callback", hook))
            .with_state(state);

        let req = TestRequest::recording(1400000000)
            .token("tok")
            .path("/tencent/callback")
            .into_request()
            .map(Body::new);
        let response = app.clone().oneshot(req).await.unwrap();
        assert_eq!(response.status(), 200);
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(
            &body[..],
            br#"{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}"#
        );

        // The nested webhook answers only at its nested path, and the stateful route still works.
        let unnested = TestRequest::recording(1400000000)
            .token("tok")
            .path("/callback")
            .into_request()
            .map(Body::new);
        assert_eq!(app.clone().oneshot(unnested).await.unwrap().status(), 404);
        let greet = Request::get("/greet").body(Body::empty()).unwrap();
        let response = app.oneshot(greet).await.unwrap();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], b"hello");
    }
}
