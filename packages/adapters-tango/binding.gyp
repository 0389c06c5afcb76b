{
  "targets": [
    {
      "target_name": "mlayer_tango",
      "sources": [
        "native/addon.cc",
        "native/failure.cc",
        "native/write_value.cc",
        "native/proxy_pool.cc",
        "native/reading.cc",
        "native/attribute_ops.cc",
        "native/command_ops.cc",
        "native/subscriptions.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_CPP_EXCEPTIONS", "NAPI_VERSION=8"],
      "cflags!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++17", "-frtti", "-fexceptions", "-Wno-deprecated-declarations", "<!@(pkg-config --cflags tango)"],
      "libraries": ["<!@(pkg-config --libs tango)"]
    }
  ]
}
