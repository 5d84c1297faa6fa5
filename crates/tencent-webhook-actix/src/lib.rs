//! Mount [`tencent_webhook_core`] into an actix-web [`App`](actix_web::App) in one call.
//!
//! [`webhook`] is an actix [`HttpServiceFactory`]: hand it to `App::service` (or
//! `Scope::service`) beside your own routes, `web::Data` and middleware. Every method on
//! the path goes to the core, which answers non-`POST` requests with its 405 envelope.
//! The body is read from the request's raw payload stream under the core's limit and timeout
//! (actix's 256 KiB `PayloadConfig` plays no part), so chunked bodies work and a
//! `Content-Length` over the limit is answered 413 before any body byte is read.
//!
//! This crate only translates: actix-web is on `http` 0.2 and the core on `http` 1, so the
//! core reads the request through a borrowed view ([`RequestHead`]: the method, the query
//! and the few headers it needs, nothing converted or copied) and its response is copied
//! back, status, headers and body unchanged. All protocol logic lives in the core, and
//! every answer is the one the axum adapter gives.
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
//!             // middleware; log the path (%U), not the request line: the query carries Sign and ClientIP
//!             .wrap(middleware::Logger::new(r#"%a "%U" %s %b %T"#))
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
use std::rc::Rc;

use actix_web::dev::{AppService, HttpServiceFactory, ServiceRequest, ServiceResponse, fn_service};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use tencent_webhook_core::{BoxError, HeaderValues, IntoAck, RequestHead, Webhook, WebhookService};
use tower_service::Service;

/// The webhook at `path`, to pass to `App::service` or `Scope::service`: every method on
/// `path` (an actix resource pattern, usually a literal path) is answered by `service`.
pub fn webhook<S>(path: &str, service: WebhookService<S>) -> WebhookResource<S> {
    WebhookResource {
        path: path.to_owned(),
        service,
    }
}

/// The actix service [`webhook`] returns: one service on its path (an actix `web::service`,
/// no route table or extractors in between), all methods, answered by the core.
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
        // A plain service on the path, as a one-route resource without guards would be,
        // minus the route lookup and the extractors: every method reaches the core. One
        // `Rc` per worker, so a request costs no clone of the service.
        let service = Rc::new(self.service);
        let endpoint = fn_service(move |request: ServiceRequest| {
            let service = Rc::clone(&service);
            async move {
                let (request, payload) = request.into_parts();
                let response = service.handle_head(&ActixHead(&request), payload).await;
                Ok::<_, actix_web::Error>(ServiceResponse::new(
                    request,
                    convert::to_actix(response),
                ))
            }
        });
        HttpServiceFactory::register(web::service(self.path).finish(endpoint), config);
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
    let response = service.handle_head(&ActixHead(request), payload).await;
    convert::response(response).await
}

/// What the core reads of an actix request, borrowed from it as it is.
struct ActixHead<'a>(&'a HttpRequest);

impl RequestHead for ActixHead<'_> {
    fn method(&self) -> &str {
        self.0.method().as_str()
    }

    fn query(&self) -> Option<&str> {
        self.0.uri().query()
    }

    fn header(&self, name: &'static str) -> HeaderValues<'_> {
        let headers = self.0.headers();
        // The standard name is looked up without parsing it again.
        let values = if name == "content-length" {
            headers.get_all(header::CONTENT_LENGTH)
        } else {
            headers.get_all(name)
        };
        HeaderValues::from_iter(values.map(|v| v.as_bytes()))
    }
}

/// The one place where the core's `http` 1 response becomes an actix (`http` 0.2) one.
/// Both crates accept the same statuses, header names and values, so the conversion is
/// exact; the refusal (500) exists only so that nothing is ever dropped silently.
mod convert {
    use actix_web::HttpResponse;
    use actix_web::http::StatusCode;
    use actix_web::http::header::{self, HeaderName, HeaderValue};
    use tencent_webhook_core::WebhookResponse;

    /// [`to_actix`], for an `async` caller.
    pub(crate) async fn response(response: WebhookResponse) -> HttpResponse {
        to_actix(response)
    }

    /// The core's response as an actix response: status, every header, and the body.
    pub(crate) fn to_actix(response: WebhookResponse) -> HttpResponse {
        let (parts, body) = response.into_parts();
        // The core's body is a `Full` that has not been polled: take its bytes as they are.
        let body = body.into_inner().unwrap_or_default();
        let status = StatusCode::from_u16(parts.status.as_u16()).ok();
        let Some(mut out) = status.map(|status| HttpResponse::with_body(status, body)) else {
            return HttpResponse::InternalServerError().finish();
        };
        for (name, value) in &parts.headers {
            if name == http::header::CONNECTION {
                // actix-web decides the connection's fate from the response head, not
                // from a header: a refusal before the body was read closes it.
                out.head_mut()
                    .set_connection_type(actix_web::http::ConnectionType::Close);
                continue;
            }
            let (Some(name), Some(mut converted)) = (header_name(name), header_value(value)) else {
                return HttpResponse::InternalServerError().finish();
            };
            converted.set_sensitive(value.is_sensitive());
            out.headers_mut().append(name, converted);
        }
        out.map_into_boxed_body()
    }

    /// A header name; the ones the core sends are taken as the constants they are.
    fn header_name(name: &http::HeaderName) -> Option<HeaderName> {
        if name == http::header::CONTENT_TYPE {
            Some(header::CONTENT_TYPE)
        } else if name == http::header::ALLOW {
            Some(header::ALLOW)
        } else {
            HeaderName::from_bytes(name.as_str().as_bytes()).ok()
        }
    }

    /// A header value; the ones the core sends are taken as static, not copied.
    fn header_value(value: &http::HeaderValue) -> Option<HeaderValue> {
        match value.as_bytes() {
            b"application/json" => Some(HeaderValue::from_static("application/json")),
            b"POST" => Some(HeaderValue::from_static("POST")),
            bytes => HeaderValue::from_bytes(bytes).ok(),
        }
    }
}

#[cfg(test)]
mod tests;
