// FunctionRef<R(Args...)>: a non-owning reference to a callable, two pointers wide. A function taking
// one can be passed any lambda, function pointer or std::function, and calling it never allocates,
// where converting a lambda that captures more than two pointers to std::function puts a copy of it
// on the heap: ThreadPool's loops are handed their work this way, a few hundred times per decoded
// token. The callable must outlive the FunctionRef (a lambda written in the call's argument list
// lives until the call returns).
#pragma once

#include <functional>
#include <memory>
#include <type_traits>
#include <utility>

namespace gavel {

template <class Signature>
class FunctionRef;

template <class R, class... Args>
class FunctionRef<R(Args...)> {
public:
    template <class F>
        requires(!std::is_same_v<std::remove_cvref_t<F>, FunctionRef> && std::is_invocable_r_v<R, F&, Args...>)
    FunctionRef(F&& f) noexcept  // NOLINT(google-explicit-constructor): binds like std::function does
        : object_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
          call_([](void* object, Args... args) -> R {
              return std::invoke(*static_cast<std::remove_reference_t<F>*>(object), std::forward<Args>(args)...);
          }) {}

    R operator()(Args... args) const { return call_(object_, std::forward<Args>(args)...); }

private:
    void* object_;
    R (*call_)(void*, Args...);
};

}  // namespace gavel
