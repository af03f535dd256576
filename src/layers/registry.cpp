// The one place that knows every primitive layer type: one line each.
#include "layers/registry.h"

#include "graph/registration.h"

namespace mnet {

std::unique_ptr<Layer> make_conv(Attrs&);
std::unique_ptr<Layer> make_dwconv(Attrs&);
std::unique_ptr<Layer> make_batchnorm(Attrs&);
std::unique_ptr<Layer> make_relu(Attrs&);
std::unique_ptr<Layer> make_relu6(Attrs&);
std::unique_ptr<Layer> make_hswish(Attrs&);
std::unique_ptr<Layer> make_hsigmoid(Attrs&);
std::unique_ptr<Layer> make_sigmoid(Attrs&);
std::unique_ptr<Layer> make_add(Attrs&);
std::unique_ptr<Layer> make_concat(Attrs&);
std::unique_ptr<Layer> make_channel_shuffle(Attrs&);
std::unique_ptr<Layer> make_slice(Attrs&);
std::unique_ptr<Layer> make_pad(Attrs&);
std::unique_ptr<Layer> make_global_avgpool(Attrs&);
std::unique_ptr<Layer> make_maxpool(Attrs&);
std::unique_ptr<Layer> make_avgpool(Attrs&);
std::unique_ptr<Layer> make_flatten(Attrs&);
std::unique_ptr<Layer> make_dropout(Attrs&);
std::unique_ptr<Layer> make_lrn(Attrs&);
std::unique_ptr<Layer> make_fully_connected(Attrs&);
std::unique_ptr<Layer> make_squeeze_excite(Attrs&);
std::unique_ptr<Layer> make_softmax(Attrs&);
std::unique_ptr<Layer> make_fake_quant(Attrs&);
std::unique_ptr<Layer> make_upsample(Attrs&);
std::unique_ptr<Layer> make_to_rows(Attrs&);
std::unique_ptr<Layer> make_l2norm(Attrs&);
std::unique_ptr<Layer> make_space_to_depth(Attrs&);
std::unique_ptr<Layer> make_mul(Attrs&);
std::unique_ptr<Layer> make_leaky_relu(Attrs&);

namespace {
constexpr Registration<LayerFactory> kLayerTypes[] = {
    {"conv", make_conv},
    {"dwconv", make_dwconv},
    {"bn", make_batchnorm},
    {"relu", make_relu},
    {"relu6", make_relu6},
    {"hswish", make_hswish},
    {"hsigmoid", make_hsigmoid},
    {"sigmoid", make_sigmoid},
    {"add", make_add},
    {"concat", make_concat},
    {"channel_shuffle", make_channel_shuffle},
    {"slice", make_slice},
    {"pad", make_pad},
    {"gap", make_global_avgpool},
    {"maxpool", make_maxpool},
    {"avgpool", make_avgpool},
    {"flatten", make_flatten},
    {"dropout", make_dropout},
    {"lrn", make_lrn},
    {"fc", make_fully_connected},
    {"se", make_squeeze_excite},
    {"softmax", make_softmax},
    {"fake_quant", make_fake_quant},
    {"upsample", make_upsample},
    {"to_rows", make_to_rows},
    {"l2norm", make_l2norm},
    {"space_to_depth", make_space_to_depth},
    {"mul", make_mul},
    {"leaky_relu", make_leaky_relu},
};
}  // namespace

std::unique_ptr<Layer> make_layer(const std::string& type, Attrs& attrs) {
  LayerFactory make = find_registered(kLayerTypes, type);
  return make ? make(attrs) : nullptr;
}

std::vector<std::string> layer_types() { return registered_names(kLayerTypes); }

}  // namespace mnet
