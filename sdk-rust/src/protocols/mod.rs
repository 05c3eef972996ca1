//! FIPA interaction protocols: request/query, subscribe and contract net.
pub mod contract_net;
pub mod request;
pub mod subscribe;
