//! The `adapter!` macro: one declaration of the types every framework
//! adapter shares (see its documentation).

/// Declares a framework adapter's types, so that every adapter has the
/// same ones: the [`Adapter`](crate::Adapter) marker, the `Guard` extractor dereferencing to
/// [`GuardCore`](crate::GuardCore) (default store: `MemoryStore`), the wrappers of
/// [`Admitted`](crate::Admitted) and [`Refused`](crate::Refused) (`From` them, dereferencing to them), and
/// the error of a `Guard` extracted without the middleware (its `DETAIL`
/// and its 500, [`Rejection::misconfigured`](crate::response::Rejection::misconfigured)).
/// The framework crate adds its extractor and response traits to these.
///
/// ```
/// tollgate_tower::adapter! {
///     /// Mine.
///     adapter Mine;
///     /// The extractor.
///     guard Guard;
///     /// An allow.
///     admitted Admitted;
///     /// A refusal.
///     refusal Refusal;
///     /// No middleware.
///     missing Missing = "add the middleware";
/// }
/// # fn f(guard: Guard) -> Result<Admitted, Refusal> { guard.evaluate(tollgate::EventKind::Login, |e| e) }
/// ```
#[macro_export]
macro_rules! adapter {
    (
        $(#[$adapter_doc:meta])* adapter $adapter:ident;
        $(#[$guard_doc:meta])* guard $guard:ident;
        $(#[$admitted_doc:meta])* admitted $admitted:ident;
        $(#[$refusal_doc:meta])* refusal $refusal:ident;
        $(#[$missing_doc:meta])* missing $missing:ident = $detail:expr;
    ) => {
        $(#[$adapter_doc])*
        ///
        /// This crate's [`Adapter`](tollgate_tower::Adapter): evaluations
        #[doc = concat!("come back as [`", stringify!($admitted), "`] and [`", stringify!($refusal), "`].")]
        #[derive(Clone, Copy, Debug)]
        pub struct $adapter;

        impl $crate::Adapter for $adapter {
            type Admitted = $admitted;
            type Refusal = $refusal;
        }

        $(#[$guard_doc])*
        ///
        /// Evaluation ([`evaluate`](tollgate_tower::GuardCore::evaluate),
        /// [`evaluate_async`](tollgate_tower::GuardCore::evaluate_async)) and
        /// outcomes (`failed`, `succeeded_with`, `login_failed` ...) are the
        /// shared [`GuardCore`](tollgate_tower::GuardCore)'s. For an engine
        /// over another store, extract `Guard<YourStore>`; over an
        /// `AsyncStore` that is not an in-process `Store`, use the `*_async`
        /// methods.
        #[derive(Clone, Debug)]
        pub struct $guard<S = $crate::__private::MemoryStore>($crate::GuardCore<S, $adapter>);

        impl<S> ::std::ops::Deref for $guard<S> {
            type Target = $crate::GuardCore<S, $adapter>;

            fn deref(&self) -> &Self::Target {
                &self.0
            }
        }

        $crate::adapter!(@wrap $(#[$admitted_doc])*
            ///
            /// The event (to report its outcome) and the decision are
            /// [`tollgate_tower::Admitted`]'s.
            $admitted($crate::Admitted));
        $crate::adapter!(@wrap $(#[$refusal_doc])*
            ///
            /// The decision (reasons included, for logs), the event and the
            /// framework-neutral response are [`tollgate_tower::Refused`]'s.
            $refusal($crate::Refused));

        impl ::std::fmt::Display for $refusal {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl ::std::error::Error for $refusal {}

        $(#[$missing_doc])*
        #[derive(Clone, Debug)]
        pub struct $missing(());

        impl $missing {
            const DETAIL: &'static str = $detail;

            fn rejection(&self) -> $crate::response::Rejection {
                $crate::response::Rejection::misconfigured(Self::DETAIL)
            }
        }

        impl ::std::fmt::Display for $missing {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(Self::DETAIL)
            }
        }

        impl ::std::error::Error for $missing {}
    };
    (@wrap $(#[$doc:meta])* $name:ident($inner:ty)) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $name($inner);

        impl ::std::convert::From<$inner> for $name {
            fn from(inner: $inner) -> Self {
                $name(inner)
            }
        }

        impl ::std::ops::Deref for $name {
            type Target = $inner;

            fn deref(&self) -> &$inner {
                &self.0
            }
        }
    };
}
