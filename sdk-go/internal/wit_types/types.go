// Package wit_types holds the WIT types the generated bindings (internal/wit) spell generically:
// option, result, a pair and unit, with the names and methods wit-bindgen's Go generator calls
// (decision 2205). It is the SDK's own, so the SDK keeps no dependency.
package wit_types

// The discriminants of option and result, as the canonical ABI numbers them.
const (
	OptionNone = 0
	OptionSome = 1
	ResultOk   = 0
	ResultErr  = 1
)

// Unit is WIT's empty payload (result<_, E>).
type Unit struct{}

// Tuple2 is tuple<T0, T1>.
type Tuple2[T0, T1 any] struct {
	F0 T0
	F1 T1
}

// Option is option<T>.
type Option[T any] struct {
	tag   uint8
	value T
}

func None[T any]() Option[T]        { return Option[T]{} }
func Some[T any](value T) Option[T] { return Option[T]{OptionSome, value} }

func (o Option[T]) Tag() uint8   { return o.tag }
func (o Option[T]) IsSome() bool { return o.tag == OptionSome }

// Some is the payload; asking a none for it is a bug in the caller.
func (o Option[T]) Some() T {
	if o.tag != OptionSome {
		panic("wit: Some() of a none option")
	}
	return o.value
}

// Result is result<T, E>.
type Result[T, E any] struct {
	tag uint8
	ok  T
	err E
}

func Ok[T, E any](value T) Result[T, E] { return Result[T, E]{tag: ResultOk, ok: value} }
func Err[T, E any](err E) Result[T, E]  { return Result[T, E]{tag: ResultErr, err: err} }

func (r Result[T, E]) Tag() uint8 { return r.tag }

// Ok is the success payload; asking an error for it is a bug in the caller.
func (r Result[T, E]) Ok() T {
	if r.tag != ResultOk {
		panic("wit: Ok() of an error result")
	}
	return r.ok
}

// Err is the error payload; asking a success for it is a bug in the caller.
func (r Result[T, E]) Err() E {
	if r.tag != ResultErr {
		panic("wit: Err() of a success result")
	}
	return r.err
}
