//! Which webhook URLs are allowed: `http`/`https` only and, unless private networks are
//! allowed, none whose host resolves to a loopback, private, link-local, shared, unspecified
//! or multicast address (a webhook must not reach the server's own network).

use std::net::{IpAddr, Ipv4Addr};

/// Whether `ip` is outside the public internet.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_private_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private_v4(v4);
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                // fc00::/7 unique local, fe80::/10 link-local.
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
        }
    }
}

fn is_private_v4(v4: Ipv4Addr) -> bool {
    let [a, b, ..] = v4.octets();
    v4.is_loopback()
        || v4.is_private()
        || v4.is_link_local()
        || v4.is_unspecified()
        || v4.is_broadcast()
        || v4.is_multicast()
        // 100.64.0.0/10 shared address space (carrier-grade NAT).
        || (a == 100 && (64..128).contains(&b))
        || a == 0
}

/// Whether `url` is a plain absolute http(s) URL: `http://` or `https://`, a host (dotted
/// labels of letters, digits and `-`, the last starting with a letter, or a dotted-quad IPv4
/// address), an optional port (0 to 65535), then a path, query or
/// fragment without whitespace. (The OpenAPI document states this as a pattern; URL parsers
/// alone take far more, such as `*` in a host.)
pub fn is_plain_http_url(url: &str) -> bool {
    let Some(rest) = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
    else {
        return false;
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let (host, port) = match authority.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    };
    let label_ok =
        |l: &str| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    // A name whose last label starts with a letter (a URL parser reads a host ending in a
    // number as an IPv4 address), or a dotted-quad IPv4 address.
    let name = host.split('.').all(label_ok)
        && host
            .rsplit('.')
            .next()
            .is_some_and(|last| last.starts_with(|c: char| c.is_ascii_alphabetic()));
    let octet = |o: &str| {
        !o.is_empty()
            && o.len() <= 3
            && o.bytes().all(|b| b.is_ascii_digit())
            && (o == "0" || !o.starts_with('0'))
            && o.parse::<u16>().is_ok_and(|n| n <= 255)
    };
    let ipv4 = host.split('.').count() == 4 && host.split('.').all(octet);
    (name || ipv4)
        && port.is_none_or(|p| {
            (1..=5).contains(&p.len())
                && p.bytes().all(|b| b.is_ascii_digit())
                && p.parse::<u32>().is_ok_and(|n| n <= 65_535)
        })
        && !tail.chars().any(char::is_whitespace)
}

/// Why a URL is refused, for a 400 naming `url`.
pub async fn check(url: &str, allow_private: bool) -> Result<reqwest::Url, String> {
    if !is_plain_http_url(url) {
        return Err(
            "must be an absolute http(s) URL with a plain host name or IPv4 address".to_owned(),
        );
    }
    let parsed = reqwest::Url::parse(url).map_err(|_| "must be an absolute URL".to_owned())?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err("must be an http(s) URL".to_owned());
    }
    if url.len() > 2048 {
        return Err("must be at most 2048 characters".to_owned());
    }
    let host = parsed
        .host_str()
        .ok_or_else(|| "must name a host".to_owned())?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    if allow_private {
        return Ok(parsed);
    }
    let port = parsed.port_or_known_default().unwrap_or(443);
    let addresses: Vec<IpAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) => tokio::net::lookup_host((host.as_str(), port))
            .await
            .map_err(|_| "its host does not resolve".to_owned())?
            .map(|a| a.ip())
            .collect(),
    };
    if addresses.is_empty() || addresses.iter().any(|ip| is_private(*ip)) {
        return Err(
            "resolves to a loopback, private or link-local address (set WEBHOOK_ALLOW_PRIVATE_NETWORKS=true to allow)"
                .to_owned(),
        );
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_ranges() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_private(ip.parse().expect("ip")), "{ip}");
        }
        for ip in ["8.8.8.8", "1.1.1.1", "2606:4700::1111"] {
            assert!(!is_private(ip.parse().expect("ip")), "{ip}");
        }
    }

    #[tokio::test]
    async fn refuses_private_hosts_unless_allowed() {
        assert!(check("http://127.0.0.1:9/hook", false).await.is_err());
        assert!(check("http://[::1]/hook", false).await.is_err());
        assert!(check("http://a.b*/hook", true).await.is_err());
        assert!(check("http://a.75/hook", true).await.is_err());
        assert!(check("http://10.0.0.256/hook", true).await.is_err());
        assert!(check("http://10.0.0.1:8080/hook", true).await.is_ok());
        assert!(check("HTTP://example.com/", true).await.is_err());
        assert!(check("http://example.com:99999/", true).await.is_err());
        assert!(check("https://example.com:8443/a?b#c", true).await.is_ok());
        assert!(check("http://localhost/hook", false).await.is_err());
        assert!(check("http://127.0.0.1:9/hook", true).await.is_ok());
        assert!(check("ftp://example.com/", true).await.is_err());
        assert!(check("http://93.184.215.14/hook", false).await.is_ok());
    }
}
