// The streaming evaluation: decode threads → bounded queue → the model on the calling thread.
#include "eval/evaluate.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <map>
#include <mutex>
#include <system_error>
#include <thread>

#include "core/error.h"
#include "eval/bounded_queue.h"
#include "io/image.h"
#include "io/preprocess.h"
#include "run/executor.h"

namespace mnet {

bool ImageOutcome::top5() const {
  return std::any_of(top.begin(), top.end(), [&](const Ranked& p) { return p.index == label; });
}

std::string EvalResult::class_name(int c) const {
  return c >= 0 && size_t(c) < class_names.size() ? class_names[size_t(c)] : "class " + std::to_string(c);
}

int64_t EvalResult::evaluated() const { return int64_t(images.size()) - failed(); }
int64_t EvalResult::failed() const {
  return std::count_if(images.begin(), images.end(), [](const ImageOutcome& o) { return o.failed(); });
}
int64_t EvalResult::top1_correct() const {
  return std::count_if(images.begin(), images.end(), [](const ImageOutcome& o) { return o.top1(); });
}
int64_t EvalResult::top5_correct() const {
  return std::count_if(images.begin(), images.end(), [](const ImageOutcome& o) { return o.top5(); });
}
double EvalResult::top1() const { return evaluated() ? double(top1_correct()) / double(evaluated()) : 0.0; }
double EvalResult::top5() const { return evaluated() ? double(top5_correct()) / double(evaluated()) : 0.0; }
double EvalResult::images_per_second() const { return seconds > 0 ? double(evaluated()) / seconds : 0.0; }

std::vector<ClassAccuracy> EvalResult::per_class() const {
  std::map<int, ClassAccuracy> by_label;
  for (const ImageOutcome& o : images) {
    if (o.failed()) continue;
    ClassAccuracy& c = by_label[o.label];
    c.label = o.label;
    c.name = class_name(o.label);
    ++c.images;
    c.top1 += o.top1();
    c.top5 += o.top5();
  }
  std::vector<ClassAccuracy> out;
  for (auto& [label, c] : by_label) out.push_back(c);
  return out;
}

void check_classifier(const Model& model, const std::string& source) {
  const Graph& g = model.graph;
  const Shape& in = g.input().out;
  const Shape& out = g.output().out;
  if (in.c != 3 || in.h != in.w)
    throw InputError(source + ": eval needs a classifier with a [3, S, S] image input, got " + in.str());
  if (out.h != 1 || out.w != 1)
    throw InputError(source + ": not a classifier: its output is " + out.str() +
                     ", eval needs one score per class ([C,1,1])");
  if (!model.labels.empty() && int64_t(model.labels.size()) != out.elements())
    throw InputError(source + ": has " + std::to_string(model.labels.size()) + " labels, " + g.name + " outputs " +
                     std::to_string(out.elements()) + " classes");
}

namespace {

// One image, decoded and preprocessed by a worker, or why it could not be.
struct Decoded {
  size_t position = 0;  // in set.images
  std::vector<float> input;
  std::string error;
};

int default_decoders(int threads) {
  const int cores = int(std::thread::hardware_concurrency());
  return std::clamp(cores - threads, 1, kMaxDecoders);
}

}  // namespace

EvalResult evaluate(const Model& model, const LabelledSet& set, const EvalOptions& options) {
  const Graph& g = model.graph;
  check_classifier(model, g.source);
  const int64_t classes = g.output().out.elements();
  const int size = g.input().out.h;
  const size_t n = set.images.size();

  EvalResult result;
  result.model = g.name;
  result.model_path = g.source;
  result.data = set.source;
  result.layout = set.layout;
  result.set_images = set.total;
  result.shard_index = set.shard_index;
  result.shard_count = set.shard_count;
  result.threads = options.threads;
  result.batch = std::clamp(options.batch, 1, kMaxBatch);
  const int decoders = std::clamp(options.decoders > 0 ? options.decoders : default_decoders(options.threads), 1,
                                  kMaxDecoders);
  result.decoders = decoders;
  // Room for the step being run and the next one, and one image per decoder finishing.
  BoundedQueue<Decoded> queue(size_t(2 * result.batch + decoders));
  result.queue_capacity = queue.capacity();

  result.class_names = model.labels;
  ExecOptions exec_options{options.threads};
  exec_options.batch = result.batch;
  Executor exec(g, model.weights, exec_options);
  const int64_t image_floats = g.input().out.elements();
  std::vector<float> batch_input;  // the step's decoded images, one after another
  batch_input.reserve(size_t(image_floats) * size_t(result.batch));

  const auto start = std::chrono::steady_clock::now();
  std::atomic<size_t> next{0};
  std::atomic<bool> quit{false};
  std::atomic<int> live{decoders};
  std::mutex failure_mutex;
  std::exception_ptr failure;  // anything but a bad image (out of memory): ends the run
  auto decode = [&] {
    while (!quit.load()) {
      const size_t i = next.fetch_add(1);
      if (i >= n) break;
      Decoded d;
      d.position = i;
      try {
        d.input = preprocess_image(load_image(set.images[i].path), size, g.preprocess);
      } catch (const InputError& e) {
        d.error = e.what();
      } catch (...) {
        std::lock_guard<std::mutex> lock(failure_mutex);
        if (!failure) failure = std::current_exception();
        quit = true;
        break;
      }
      if (!queue.push(std::move(d))) break;
    }
    if (--live == 0) queue.close();
  };
  std::vector<std::thread> workers;
  try {
    if (n > 0)
      for (int t = 0; t < decoders; ++t) workers.emplace_back(decode);
  } catch (const std::system_error& e) {
    // Under `ulimit -u`: stop the threads that did start before saying so.
    quit = true;
    queue.close();
    for (std::thread& t : workers) t.join();
    throw RunError("cannot start " + std::to_string(decoders) + " decode threads (" + e.what() +
                   "): try a lower --decode-threads");
  }

  std::vector<ImageOutcome> outcomes(n);
  std::vector<char> ran(n, 0);
  int64_t done = 0, top1 = 0;
  std::vector<Decoded> step;
  auto stopped = [&] { return options.stop && options.stop->load(); };
  try {
    while (!result.interrupted && n > 0) {
      step.clear();
      while (int(step.size()) < result.batch) {
        std::optional<Decoded> d = queue.pop(options.stop);
        if (!d) break;
        step.push_back(std::move(*d));
      }
      if (step.empty()) break;
      if (stopped()) {
        result.interrupted = true;
        break;
      }
      // The step's decodable images through the graph at once (--batch), then each image's outcome.
      batch_input.clear();
      for (const Decoded& d : step)
        if (d.error.empty()) batch_input.insert(batch_input.end(), d.input.begin(), d.input.end());
      const int count = int(batch_input.size() / size_t(image_floats));
      const float* outputs = count > 0 ? exec.run_batch(batch_input.data(), count)[0].data : nullptr;
      int ran_in_batch = 0;
      for (Decoded& d : step) {
        const LabelledImage& item = set.images[d.position];
        ImageOutcome& o = outcomes[d.position];
        o.index = item.index;
        o.path = item.path;
        o.label = item.label;
        if (d.error.empty()) {
          const float* y = outputs + int64_t(ran_in_batch++) * classes;
          for (const Prediction& p : top_k(probabilities(g, y, classes), kEvalTop, {})) o.top.push_back({p.index, p.score});
        } else {
          o.error = d.error;
          if (options.on_failure) options.on_failure(o);
        }
        d.input = {};
        ran[d.position] = 1;
        ++done;
        top1 += o.top1();
        if (options.on_image) options.on_image(o, done, top1);
      }
    }
    if (stopped()) result.interrupted = true;
  } catch (...) {
    quit = true;
    queue.close();
    for (std::thread& t : workers) t.join();
    throw;
  }
  quit = true;
  queue.close();
  for (std::thread& t : workers) t.join();
  if (failure) std::rethrow_exception(failure);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result.queue_peak = queue.peak();
  for (size_t i = 0; i < n; ++i)
    if (ran[i]) result.images.push_back(std::move(outcomes[i]));
  return result;
}

EvalResult merge_shards(const std::vector<EvalResult>& parts, const std::vector<std::string>& sources) {
  if (parts.empty()) throw InputError("--merge: no shard files given");
  const EvalResult& first = parts.front();
  const int count = first.shard_count;
  std::vector<int> seen(size_t(count), -1);
  for (size_t p = 0; p < parts.size(); ++p) {
    const EvalResult& part = parts[p];
    const std::string& src = sources[p];
    if (part.shard_count != count || part.model != first.model || part.data != first.data ||
        part.set_images != first.set_images)
      throw InputError(src + ": not a shard of the same run as " + sources[0] + " (model " + part.model + " vs " +
                       first.model + ", data " + part.data + " vs " + first.data + ", " +
                       std::to_string(part.set_images) + " vs " + std::to_string(first.set_images) + " images, " +
                       std::to_string(part.shard_count) + " vs " + std::to_string(count) + " shards)");
    if (part.interrupted) throw InputError(src + ": shard " + std::to_string(part.shard_index) + " was interrupted: run it again");
    if (part.shard_index < 0 || part.shard_index >= count)
      throw InputError(src + ": shard " + std::to_string(part.shard_index) + " of " + std::to_string(count));
    if (seen[size_t(part.shard_index)] >= 0)
      throw InputError(src + ": shard " + std::to_string(part.shard_index) + "/" + std::to_string(count) +
                       " given twice (also " + sources[size_t(seen[size_t(part.shard_index)])] + ")");
    seen[size_t(part.shard_index)] = int(p);
    for (const ImageOutcome& o : part.images)
      if (o.index < 0 || o.index >= part.set_images || o.index % count != part.shard_index)
        throw InputError(src + ": image " + o.path + " has index " + std::to_string(o.index) +
                         ", which is not in shard " + std::to_string(part.shard_index) + "/" + std::to_string(count));
  }
  for (int k = 0; k < count; ++k)
    if (seen[size_t(k)] < 0)
      throw InputError(sources[0] + ": shard " + std::to_string(k) + "/" + std::to_string(count) +
                       " missing from --merge (" + std::to_string(parts.size()) + " of " + std::to_string(count) + " given)");

  EvalResult merged = first;
  merged.shard_index = 0;
  merged.shard_count = 1;
  merged.images.clear();
  merged.class_names.clear();
  merged.seconds = 0;
  for (const EvalResult& part : parts) {
    merged.images.insert(merged.images.end(), part.images.begin(), part.images.end());
    merged.seconds += part.seconds;
    // Each part names the classes it saw: together they name every class the merged report shows.
    if (part.class_names.size() > merged.class_names.size()) merged.class_names.resize(part.class_names.size());
    for (size_t c = 0; c < part.class_names.size(); ++c)
      if (merged.class_names[c].empty()) merged.class_names[c] = part.class_names[c];
  }
  for (size_t c = 0; c < merged.class_names.size(); ++c)
    if (merged.class_names[c].empty()) merged.class_names[c] = "class " + std::to_string(c);
  std::sort(merged.images.begin(), merged.images.end(),
            [](const ImageOutcome& a, const ImageOutcome& b) { return a.index < b.index; });
  // Every position of the set exactly once: the shards are the set.
  for (size_t i = 0; i < merged.images.size() || int64_t(i) < merged.set_images; ++i)
    if (i >= merged.images.size() || merged.images[i].index != int64_t(i))
      throw InputError(sources[0] + ": the shards do not hold each of the set's " + std::to_string(merged.set_images) +
                       " images once (position " + std::to_string(i) + ")");
  return merged;
}

}  // namespace mnet
