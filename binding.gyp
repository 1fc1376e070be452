# One target. The source list lives in native/sources.json, which CMakeLists.txt (the
# sanitizer build) reads too, so the two builds cannot drift. FKV_SOURCE_HASH is the hash of
# the native sources, compiled in so a stale prebuilt binary can be detected.
{
  "targets": [
    {
      "target_name": "fasterkv",
      "sources": [
        "<!@(node -p \"require('./native/sources.json').sources.join(' ')\")"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "native"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_DISABLE_CPP_EXCEPTIONS",
        "FKV_SOURCE_HASH=\"<!(node scripts/native-source-hash.cjs)\""
      ],
      "cflags": ["-fvisibility=hidden", "-Wall", "-Wextra", "-O3"],
      "cflags_cc!": ["-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-fvisibility-inlines-hidden"],
      "xcode_settings": {
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "GCC_SYMBOLS_PRIVATE_EXTERN": "YES",
        "OTHER_CFLAGS": ["-Wall", "-Wextra", "-O3"]
      }
    }
  ]
}
