//! Mount [`tencent_webhook_core`] into an actix-web [`App`](actix_web::App) in one call.
//!
//! [`webhook`] is an actix [`HttpServiceFactory`]: hand it to `App::service` (or
//! `Scope::service`) beside your own routes, `web::Data` and middleware. Every method on
//! the path goes to the core, which answers non-`POST` requests with its 405 envelope.
//! The body is read from the raw [`web::Payload`] under the core's limit and timeout
//! (actix's 256 KiB `PayloadConfig` plays no part), so chunked bodies work and a
//! `Content-Length` over the limit is answered 413 before any body byte is read.
//!
//! This crate only translates: actix-web is on `http` 0.2 and the core on `http` 1, so the
//! method, URI and headers are copied into `http` 1 types and the core's response is
//! copied back, status, headers and body unchanged. All protocol logic lives in the core,
//! and every answer is the one the axum adapter gives.
//!
//! ```no_run
//! use actix_web::{App, HttpServer, middleware, web};
//! use tencent_webhook_core::{Ack, Event, SdkApp, Webhook, WebhookConfig, WebhookService};
//!
//! #[actix_web::main]
//! async fn main() -> std::io::Result<()> {
//!     let config = WebhookConfig::builder()
//!         .app(SdkApp::new(1400000000).token("my-callback-token"))
//!         .build()
//!         .expect("valid webhook config");
//!
//!     let webhook = WebhookService::from_fn(config, |hook: Webhook| async move {
//!         match hook.event {
//!             Event::Recording(rec) => println!("task {:?}: {:?}", rec.info.task_id, rec.info.payload),
//!             _ => println!("{} ({} bytes)", hook.context.command, hook.context.raw_body.len()),
//!         }
//!         Ack::ok()
//!     });
//!     let greeting = web::Data::new(String::from("ok"));
//!
//!     HttpServer::new(move || {
//!         App::new()
//!             .app_data(greeting.clone())                      // your existing state,
//!             .wrap(middleware::Logger::default())             // middleware
//!             .route("/healthz", web::get().to(|g: web::Data<String>| async move { g.to_string() }))
//!             .service(tencent_webhook_actix::webhook("/tencent/callback", webhook.clone())) // one more line
//!     })
//!     .bind(("0.0.0.0", 8080))?
//!     .run()
//!     .await
//! }
//! ```
//!
//! Through the `tencent-webhook` facade (feature `actix-web`) the call is
//! `tencent_webhook::actix::webhook(..)`. It also works inside a `web::scope`; to put
//! guards or middleware on the webhook's resource alone, mount [`handle`] by hand.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::fmt;

use actix_web::dev::{AppService, HttpServiceFactory};
use actix_web::{HttpRequest, HttpResponse, web};
use tencent_webhook_core::{BoxError, IntoAck, Webhook, WebhookService};
use tower_service::Service;

/// The webhook at `path`, to pass to `App::service` or `Scope::service`: every method on
/// `path` (an actix resource pattern, usually a literal path) is answered by `service`.
pub fn webhook<S>(path: &str, service: WebhookService<S>) -> WebhookResource<S> {
    WebhookResource {
        path: path.to_owned(),
        service,
    }
}

/// The actix service [`webhook`] returns: one resource, all methods, answered by the core.
pub struct WebhookResource<S> {
    path: String,
    service: WebhookService<S>,
}

impl<S> fmt::Debug for WebhookResource<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookResource")
            .field("path", &self.path)
            .field("service", &self.service)
            .finish()
    }
}

impl<S> HttpServiceFactory for WebhookResource<S>
where
    S: Service<Webhook> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Response: IntoAck,
    S::Error: Into<BoxError>,
{
    fn register(self, config: &mut AppService) {
        let service = self.service;
        let resource =
            web::resource(self.path).to(move |request: HttpRequest, payload: web::Payload| {
                let service = service.clone();
                async move { handle(&service, &request, payload).await }
            });
        HttpServiceFactory::register(resource, config);
    }
}

/// Answer one request with `service`: what the resource of [`webhook`] runs. Call it from
/// your own handler to mount the webhook by hand (a resource with its own guards or
/// middleware); pass the request's whole, unread [`web::Payload`].
pub async fn handle<S>(
    service: &WebhookService<S>,
    request: &HttpRequest,
    payload: web::Payload,
) -> HttpResponse
where
    S: Service<Webhook> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Response: IntoAck,
    S::Error: Into<BoxError>,
{
    let Some((method, uri, headers)) = convert::request_head(request) else {
        // A head `http` 1 cannot hold; hyper (under axum) refuses such a head with a bare
        // 400 too. Both crates accept the same grammar, so actix never hands us one.
        return HttpResponse::BadRequest().finish();
    };
    let response = service.handle(&method, &uri, &headers, payload).await;
    convert::response(response).await
}

/// The one place where `http` 0.2 (actix-web) and `http` 1 (the core) meet. Both crates
/// accept the same methods, URIs, header names and values and statuses, so every
/// conversion here is exact; the refusals (400 in, 500 out) exist only so that nothing is
/// ever dropped silently.
mod convert {
    use actix_web::HttpRequest;
    use actix_web::HttpResponse;
    use actix_web::http::StatusCode;
    use actix_web::http::header::{HeaderName, HeaderValue};
    use http_body_util::BodyExt;
    use tencent_webhook_core::WebhookResponse;

    /// The request's method, URI and headers as `http` 1 types, every header value kept
    /// (in order within a name, with its sensitivity); `None` if one does not convert.
    pub(crate) fn request_head(
        request: &HttpRequest,
    ) -> Option<(http::Method, http::Uri, http::HeaderMap)> {
        let method = http::Method::from_bytes(request.method().as_str().as_bytes()).ok()?;
        let uri = request.uri().to_string().parse::<http::Uri>().ok()?;
        let mut headers = http::HeaderMap::with_capacity(request.headers().len());
        for (name, value) in request.headers() {
            let name = http::HeaderName::from_bytes(name.as_str().as_bytes()).ok()?;
            let mut converted = http::HeaderValue::from_bytes(value.as_bytes()).ok()?;
            converted.set_sensitive(value.is_sensitive());
            headers.append(name, converted);
        }
        Some((method, uri, headers))
    }

    /// The core's response as an actix response: status, every header, and the body.
    pub(crate) async fn response(response: WebhookResponse) -> HttpResponse {
        let (parts, body) = response.into_parts();
        let body = match body.collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(never) => match never {},
        };
        let status = StatusCode::from_u16(parts.status.as_u16()).ok();
        let Some(mut out) = status.map(|status| HttpResponse::with_body(status, body)) else {
            return HttpResponse::InternalServerError().finish();
        };
        for (name, value) in &parts.headers {
            let (Ok(name), Ok(mut converted)) = (
                HeaderName::from_bytes(name.as_str().as_bytes()),
                HeaderValue::from_bytes(value.as_bytes()),
            ) else {
                return HttpResponse::InternalServerError().finish();
            };
            converted.set_sensitive(value.is_sensitive());
            out.headers_mut().append(name, converted);
        }
        out.map_into_boxed_body()
    }
}

#[cfg(test)]
mod tests;
