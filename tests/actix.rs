//! The conformance suite (harness/cases.rs) against the actix adapter, over real sockets.

tencent_webhook_conformance::conformance_suite!(Actix);
