//! Answers compressed with gzip for clients that accept it: field offices reach the server over
//! links of a few hundred kbit/s, where a 65 KB dashboard is 17 KB compressed. Text only (pages,
//! styles, scripts, JSON, CSV, SVG); files already compressed (XLSX, PDF) go as they are.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use std::io::Write;

/// Smaller answers are not worth compressing (a TCP packet carries them).
const AT_LEAST: usize = 1024;
/// Beyond this, the fastest level: a large export must not hold a core for seconds.
const LARGE: usize = 1 << 20;

/// Whether the client accepts gzip (`Accept-Encoding: gzip`, not with `q=0`).
fn accepts_gzip(request: &Request) -> bool {
    request.headers().get_all(header::ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()).any(|value| {
        value.split(',').any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or("");
            let refused = parts.any(|p| p.strip_prefix("q=").and_then(|q| q.parse::<f32>().ok()) == Some(0.0));
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
    })
}

fn compressible(response: &Response) -> bool {
    let text = response.headers().get(header::CONTENT_TYPE).is_some_and(|v| {
        let v = v.as_bytes();
        v.starts_with(b"text/") || v.starts_with(b"application/json") || v.starts_with(b"image/svg+xml")
    });
    text && !response.headers().contains_key(header::CONTENT_ENCODING)
}

/// The middleware: compresses the answer when the client accepts gzip and it is text.
pub async fn gzip(request: Request, next: Next) -> Response {
    let wanted = accepts_gzip(&request) && request.method() != Method::HEAD;
    let mut response = next.run(request).await;
    if wanted {
        // Caches must keep the compressed and plain answers apart.
        response.headers_mut().append(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    if !wanted || !compressible(&response) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return Response::from_parts(parts, Body::empty());
    };
    if bytes.len() < AT_LEAST {
        return Response::from_parts(parts, Body::from(bytes));
    }
    let level = if bytes.len() > LARGE { flate2::Compression::fast() } else { flate2::Compression::default() };
    let mut encoder = flate2::write::GzEncoder::new(Vec::with_capacity(bytes.len() / 4), level);
    match encoder.write_all(&bytes).and_then(|()| encoder.finish()) {
        Ok(compressed) => {
            parts.headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            parts.headers.remove(header::CONTENT_LENGTH);
            Response::from_parts(parts, Body::from(compressed))
        }
        // Writing into memory does not fail; if it did, the plain answer is still right.
        Err(_) => Response::from_parts(parts, Body::from(bytes)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(accept: &str) -> Request {
        Request::builder().header(header::ACCEPT_ENCODING, accept).body(Body::empty()).unwrap()
    }

    #[test]
    fn gzip_is_used_only_when_accepted() {
        for (accept, yes) in [
            ("gzip, deflate, br", true),
            ("br;q=1.0, gzip;q=0.8", true),
            ("GZIP", true),
            ("*", true),
            ("gzip;q=0", false),
            ("deflate, br", false),
            ("identity", false),
        ] {
            assert_eq!(accepts_gzip(&request(accept)), yes, "{accept}");
        }
    }
}
