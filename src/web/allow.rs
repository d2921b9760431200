//! The route table's building blocks: a resource that knows its methods,
//! so a request with another method gets 405 with the `Allow` header that
//! HTTP requires (RFC 9110 §15.5.6), which actix's own resources leave out.

use actix_web::dev::{AppService, HttpServiceFactory};
use actix_web::http::{Method, header};
use actix_web::{FromRequest, Handler, HttpResponse, Resource, Responder, Route, web};

/// One method of a resource and its handler.
pub struct Verb {
    method: Method,
    route: Route,
}

impl Verb {
    fn new(method: Method) -> Verb {
        Verb {
            route: web::method(method.clone()),
            method,
        }
    }

    pub fn to<F, Args>(self, handler: F) -> Verb
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        Verb {
            method: self.method,
            route: self.route.to(handler),
        }
    }
}

pub fn get() -> Verb {
    Verb::new(Method::GET)
}

pub fn post() -> Verb {
    Verb::new(Method::POST)
}

pub fn put() -> Verb {
    Verb::new(Method::PUT)
}

pub fn patch() -> Verb {
    Verb::new(Method::PATCH)
}

/// A path and the methods it answers.
pub struct Endpoint {
    resource: Resource,
    methods: Vec<Method>,
}

pub fn resource(path: &str) -> Endpoint {
    Endpoint {
        resource: web::resource(path),
        methods: Vec::new(),
    }
}

impl Endpoint {
    pub fn route(mut self, verb: Verb) -> Endpoint {
        self.methods.push(verb.method);
        self.resource = self.resource.route(verb.route);
        self
    }

    /// Data for this path's handlers (an upload's size limit, say).
    pub fn app_data<U: 'static>(mut self, data: U) -> Endpoint {
        self.resource = self.resource.app_data(data);
        self
    }

    /// The `Allow` value.
    fn allow(&self) -> String {
        let names: Vec<&str> = self.methods.iter().map(Method::as_str).collect();
        names.join(", ")
    }
}

impl HttpServiceFactory for Endpoint {
    fn register(self, config: &mut AppService) {
        let allow = self.allow();
        self.resource
            .default_service(web::to(move || {
                let allow = allow.clone();
                async move {
                    HttpResponse::MethodNotAllowed()
                        .insert_header((header::ALLOW, allow))
                        .finish()
                }
            }))
            .register(config);
    }
}
