//! Integration tests of the TAXII 2.1 server over the router (no sockets), on a node with the
//! demo data: every endpoint, filter, error and permission rule.

mod simulation;
mod stewardship;
mod taxii;
