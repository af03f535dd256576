// `mnet profile --format html` and `mnet compare --format html`: one self-contained HTML file
// (inline SVG, CSS and a few lines of JavaScript for tooltips and sorting; nothing fetched) with
// the figures the papers argue with, drawn from the same data the tables print.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "cost/cost.h"
#include "profile/timings.h"
#include "report/envelope.h"
#include "report/latency_report.h"

namespace mnet {

struct PlannedMemory;

// Per-layer bars of MAdds %, params % and (with timings) time % in graph order, coloured by
// category, each layer's table row on hover; the by-type breakdown (the V1 paper's Table 2) as
// stacked bars; with timings a roofline (FLOP/byte vs achieved GFLOP/s under the calibrated GEMM
// ceiling and memory bandwidth); the full tables; the machine and settings in the header.
// `context` (report/envelope.h), when given, adds its line (mnet, commit, CPU, SIMD) to the header.
std::string profile_html(const CostReport& cost, const ProfileTimings* timings, const PlannedMemory* memory = nullptr,
                         const ReportContext* context = nullptr);

// The models (at each thread count) as points on multiply-adds vs median latency (vs params with
// --cost-only) and, where `top1` gives a row's top-1 accuracy (%), on multiply-adds vs accuracy;
// where each model's multiply-adds are, as stacked bars; the full table. `baseline`: a model's
// source among the rows, for ratio columns against its row at the same thread count.
std::string compare_html(const std::vector<CompareRow>& rows, const MachineInfo* machine,
                         const ReportContext* context = nullptr, std::optional<std::string> baseline = std::nullopt,
                         const std::vector<std::optional<double>>& top1 = {});

}  // namespace mnet
