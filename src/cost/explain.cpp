// compare_conv: the standard and the depthwise separable convolution through the layer registry.
#include "cost/explain.h"

#include <string>

#include "core/error.h"
#include "layers/registry.h"

namespace mnet {

namespace {

LayerCount count(const std::string& type, Attrs attrs, const Shape& in) {
  std::unique_ptr<Layer> layer = make_layer(type, attrs);
  const Shape out = layer->infer_shape({in});
  LayerCount c;
  c.madds = layer->cost({in}, out).madds;
  for (const WeightDecl& w : layer->weights({in}, out))
    if (w.counted) c.params += w.elements();
  return c;
}

}  // namespace

ConvComparison compare_conv(int in_channels, int out_channels, int kernel, int size) {
  auto require = [](bool ok, const std::string& what) {
    if (!ok) throw InputError(what);
  };
  require(in_channels >= 1 && in_channels <= kMaxChannels, "input channels must be between 1 and " + std::to_string(kMaxChannels));
  require(out_channels >= 1 && out_channels <= kMaxChannels, "output channels must be between 1 and " + std::to_string(kMaxChannels));
  require(kernel >= 1 && kernel <= kMaxKernel, "kernel must be between 1 and " + std::to_string(kMaxKernel));
  require(size >= 1 && size <= kMaxResolution, "map size must be between 1 and " + std::to_string(kMaxResolution));
  // Checked in floating point first: the product itself may not fit in 64 bits.
  const double madds = double(kernel) * kernel * in_channels * out_channels * double(size) * size;
  require(madds <= double(kMaxExplainedMadds),
          "the standard convolution would have " + format_number(madds) + " multiply-adds, above the limit of 2^62 (kMaxExplainedMadds)");

  ConvComparison c;
  c.in_channels = in_channels;
  c.out_channels = out_channels;
  c.kernel = kernel;
  c.size = size;
  const Shape in{in_channels, size, size};
  Attrs conv;
  conv.set("out", AttrValue::of_int(out_channels));
  conv.set("kernel", AttrValue::of_int(kernel));
  conv.set("pad", AttrValue::of_string("same"));
  c.standard = count("conv", conv, in);
  Attrs dw;
  dw.set("kernel", AttrValue::of_int(kernel));
  dw.set("pad", AttrValue::of_string("same"));
  c.depthwise = count("dwconv", dw, in);
  Attrs pw;
  pw.set("out", AttrValue::of_int(out_channels));
  pw.set("kernel", AttrValue::of_int(1));
  c.pointwise = count("conv", pw, in);
  return c;
}

}  // namespace mnet
