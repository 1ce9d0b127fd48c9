//! Integration tests of the server over the router (no sockets), on a node with the demo data:
//! every TAXII endpoint, filter, error and permission rule, and the feeds.

mod feeds;
mod peer_link;
mod pull;
mod simulation;
mod stewardship;
mod support;
mod taxii;
