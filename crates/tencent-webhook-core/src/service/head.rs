//! [`RequestHead`]: the few parts of a request's head the core reads, so that an adapter
//! hands them over as its framework holds them, without converting or copying the rest.

use http::{HeaderMap, HeaderValue, Method, Uri, header};

/// What [`WebhookService::admit`](crate::WebhookService::admit) reads of a request before
/// its body: the method, the query string and a few headers by name (`Content-Length`, and
/// for the TRTC scheme `SdkAppId` and `Sign`). Implemented for `http` 1 request parts
/// ([`HttpHead`], [`http::request::Parts`]); an adapter for a framework with other types
/// implements it over its own request, borrowing, so nothing is converted or copied.
pub trait RequestHead {
    /// The method, e.g. `POST`.
    fn method(&self) -> &str;
    /// The query string without the `?`, `None` when the URI has none.
    fn query(&self) -> Option<&str>;
    /// The values of the header `name` (given in ASCII lower case; header names match
    /// case-insensitively), in the order received.
    fn header(&self, name: &'static str) -> HeaderValues<'_>;
}

/// The values a request carries for one header name: the first, and whether there are
/// more. All the core needs: it uses the first value and refuses repeated security headers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HeaderValues<'a> {
    first: Option<&'a [u8]>,
    repeated: bool,
}

/// From the values of one header name, in order (only the first two are looked at).
impl<'a> FromIterator<&'a [u8]> for HeaderValues<'a> {
    fn from_iter<I: IntoIterator<Item = &'a [u8]>>(values: I) -> Self {
        let mut values = values.into_iter();
        let first = values.next();
        Self {
            first,
            repeated: first.is_some() && values.next().is_some(),
        }
    }
}

impl<'a> HeaderValues<'a> {
    /// The first value, as sent.
    pub fn first(&self) -> Option<&'a [u8]> {
        self.first
    }

    /// Whether the header was sent more than once.
    pub fn repeated(&self) -> bool {
        self.repeated
    }
}

/// A request head made of `http` 1 parts, borrowed.
#[derive(Debug, Clone, Copy)]
pub struct HttpHead<'a> {
    /// The method.
    pub method: &'a Method,
    /// The URI (only its query is read).
    pub uri: &'a Uri,
    /// The headers.
    pub headers: &'a HeaderMap,
}

impl RequestHead for HttpHead<'_> {
    fn method(&self) -> &str {
        self.method.as_str()
    }

    fn query(&self) -> Option<&str> {
        self.uri.query()
    }

    fn header(&self, name: &'static str) -> HeaderValues<'_> {
        values(self.headers, name)
    }
}

/// The values of `name` in `headers`; the standard name is looked up without parsing it.
fn values<'a>(headers: &'a HeaderMap, name: &'static str) -> HeaderValues<'a> {
    let all = if name == "content-length" {
        headers.get_all(header::CONTENT_LENGTH)
    } else {
        headers.get_all(name)
    };
    HeaderValues::from_iter(all.iter().map(HeaderValue::as_bytes))
}

impl RequestHead for http::request::Parts {
    fn method(&self) -> &str {
        self.method.as_str()
    }

    fn query(&self) -> Option<&str> {
        self.uri.query()
    }

    fn header(&self, name: &'static str) -> HeaderValues<'_> {
        values(&self.headers, name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_head_reads_method_query_and_every_value() {
        let uri: Uri = "/cb?a=1&b=2".parse().unwrap();
        let mut headers = HeaderMap::new();
        headers.append("Sign", "x".parse().unwrap());
        headers.append("sign", "y".parse().unwrap());
        headers.append("SdkAppId", "1".parse().unwrap());
        let head = HttpHead {
            method: &Method::POST,
            uri: &uri,
            headers: &headers,
        };
        assert_eq!(head.method(), "POST");
        assert_eq!(head.query(), Some("a=1&b=2"));
        let sign = head.header("sign");
        assert_eq!((sign.first(), sign.repeated()), (Some(&b"x"[..]), true));
        let app = head.header("sdkappid");
        assert_eq!((app.first(), app.repeated()), (Some(&b"1"[..]), false));
        assert_eq!(head.header("content-length"), HeaderValues::default());
        let mut with_length = headers.clone();
        with_length.append("Content-Length", "12".parse().unwrap());
        let parts = {
            let mut request = http::Request::new(());
            *request.headers_mut() = with_length;
            request.into_parts().0
        };
        assert_eq!(parts.header("content-length").first(), Some(&b"12"[..]));
        assert_eq!(parts.method(), "GET");
        let bare: Uri = "/cb".parse().unwrap();
        let head = HttpHead { uri: &bare, ..head };
        assert_eq!(head.query(), None);
    }
}
