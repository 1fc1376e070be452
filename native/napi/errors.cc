// Builds FasterError instances from the class injected by src/native.ts. If the class was
// never injected (the addon loaded on its own, outside src/native.ts), plain Errors with the
// same `code` and detail properties are built instead, so callers still see the facts.
#include "napi/errors.h"

#include <cstdio>

#include "io/errno_name.h"
#include "napi/addon_data.h"

namespace fasterkv {
namespace napi {
namespace {

Napi::Value SetErrorClass(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsFunction()) {
    ThrowInvalidArgument(env, "errorClass", "a constructor function", info[0]);
    return Napi::Value();
  }
  GetAddonData(env)->error_class = Napi::Persistent(info[0].As<Napi::Function>());
  return env.Undefined();
}

Napi::Value Construct(Napi::Env env, const char* code, const std::string& message,
                      Napi::Object details) {
  AddonData* data = GetAddonData(env);
  if (data != nullptr && !data->error_class.IsEmpty()) {
    return data->error_class.New(
        {Napi::String::New(env, code), Napi::String::New(env, message), details});
  }
  Napi::Object error = Napi::Error::New(env, message).Value();
  error.Set("code", Napi::String::New(env, code));
  for (const char* key : {"errno", "syscall", "path", "offset"}) {
    if (details.Has(key)) error.Set(key, details.Get(key));
  }
  return error;
}

std::string Quote(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof(escaped), "\\u%04x", c);
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// A short description of an offending argument, shaped like describe() in src/errors.ts.
std::string Describe(Napi::Value value) {
  switch (value.Type()) {
    case napi_undefined:
      return "undefined";
    case napi_null:
      return "null";
    case napi_string:
      return Quote(value.As<Napi::String>().Utf8Value());
    case napi_bigint:
      return value.ToString().Utf8Value() + "n";
    case napi_number:
    case napi_boolean:
      return value.ToString().Utf8Value();
    case napi_symbol:
      return "a symbol";
    case napi_function:
      return "a function";
    default:
      break;
  }
  if (value.IsTypedArray()) {
    Napi::TypedArray array = value.As<Napi::TypedArray>();
    const char* kind = array.TypedArrayType() == napi_uint8_array ? "Uint8Array" : "TypedArray";
    return std::string(kind) + "(" + std::to_string(array.ElementLength()) + ")";
  }
  return value.IsArray() ? "[object Array]" : "[object Object]";
}

}  // namespace

void RegisterErrors(Napi::Env env, Napi::Object exports) {
  exports.Set("setErrorClass", Napi::Function::New<SetErrorClass>(env, "setErrorClass"));
}

Napi::Value MakeError(Napi::Env env, const char* code, const std::string& message) {
  return Construct(env, code, message, Napi::Object::New(env));
}

Napi::Value MakeIoError(Napi::Env env, const io::IoStatus& status, const std::string& path) {
  const std::string name = io::ErrnoName(status.error);
  std::string message = std::string(status.syscall) + " " + path;
  if (status.has_offset) message += " at offset " + std::to_string(status.offset);
  message += " failed: " + name + " (" + io::ErrnoDescription(status.error) + ")";
  Napi::Object details = Napi::Object::New(env);
  details.Set("errno", Napi::String::New(env, name));
  details.Set("syscall", Napi::String::New(env, status.syscall));
  details.Set("path", Napi::String::New(env, path));
  if (status.has_offset) {
    details.Set("offset", Napi::Number::New(env, static_cast<double>(status.offset)));
  }
  return Construct(env, "ERR_IO", message, details);
}

Napi::Value MakeClosedError(Napi::Env env, int handle) {
  return MakeError(env, "ERR_CLOSED", "file handle " + std::to_string(handle) + " is not open");
}

void Throw(Napi::Env env, Napi::Value error) {
  // Building the error can itself fail (an exception is then already pending).
  if (env.IsExceptionPending() || error.IsEmpty()) return;
  napi_throw(env, error);
}

void ThrowInvalidArgument(Napi::Env env, const char* name, const char* allowed, Napi::Value got) {
  const std::string message =
      std::string(name) + " must be " + allowed + "; got " + Describe(got);
  Throw(env, MakeError(env, "ERR_INVALID_ARGUMENT", message));
}

}  // namespace napi
}  // namespace fasterkv
