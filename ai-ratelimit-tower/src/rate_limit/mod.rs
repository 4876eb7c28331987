//! The rate-limit middleware: [`RateLimitLayer`] → [`RateLimit`] → [`ResponseFuture`], whose
//! responses carry a [`RateLimitBody`].

mod admit;
mod body;
mod future;
mod layer;
mod service;
mod settlement;

pub use body::RateLimitBody;
pub use future::ResponseFuture;
pub use layer::RateLimitLayer;
pub use service::RateLimit;
