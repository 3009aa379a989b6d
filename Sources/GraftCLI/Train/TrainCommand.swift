import ArgumentParser
import Backprop
import Foundation
import GraphIR
import ImageData
import Runtime
import Surgery
import TensorCore
import Training

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a new classification head on an image folder and export backbone + head.",
        discussion: """
            Loads MODEL, finds and cuts its head, computes the backbone's features of every image \
            once (cached in $GRAFT_CACHE/features, default .cache/graft/features), trains a Dense \
            head on them, evaluates it on held-out images, and writes the backbone (frozen) with the \
            new head, its class names, preprocessing and decision threshold. DATA_DIR holds one \
            subfolder of JPEG/PNG images per class, or train/ and val/ with the class subfolders. \
            Next to OUT: OUT.report.json and OUT.report.svg. With --augment, V augmented views of \
            every training image (never of validation images) are computed once and cached too; \
            each epoch trains on one view per image, drawn with --seed.
            """)

    @Argument(help: "The pretrained model (.onnx, Keras .h5/.keras).") var model: String
    @Argument(help: "The image folder: one subfolder per class, or train/ + val/.") var data: String
    @Option(name: .shortAndLong, help: "Where to write the trained model (.onnx or Keras .h5).") var output: String

    @Option(help: "Passes over the training images (lbfgs: the most iterations, one per epoch; default 20, lbfgs 100).")
    var epochs: Int?
    @Option(help: "Images per optimizer step (adam, adamw, sgd; default 32).") var batchSize: Int?
    // 1e-2, not Keras' 1e-3: a head on frozen features tolerates it, and 20 epochs at 1e-3
    // underfit (digits-3v8: 0.95 validation accuracy at 1e-3, 0.99 at 1e-2, as LogisticRegression).
    @Option(help: "Learning rate (adam, adamw, sgd; default 0.01).") var lr: Double?
    @Option(help: """
        lbfgs (full batch, a linear head), adam, adamw or sgd (with momentum). Default: lbfgs, or adam with \
        --hidden, --dropout, or any of --lr, --batch-size, --momentum, --schedule, --warmup, --step-epochs.
        """)
    var optimizer: String?
    @Option(help: "SGD momentum (default 0.9).") var momentum: Double?
    @Option(help: "L2 strength λ: (λ/2)·‖W‖² on the mean loss (decoupled for adamw). Default: 1/n_train with lbfgs, else 0.")
    var weightDecay: Double?
    @Option(help: "Fraction of each class held out for validation (ignored with train/ + val/).") var valSplit = 0.2
    @Option(help: "Seed of the split, the initial weights, the shuffles and dropout.") var seed: UInt64 = 0
    @Option(help: "Units of an extra Dense + ReLU layer.") var hidden: Int?
    @Option(help: "Dropout ratio before the last Dense, in [0, 1).") var dropout: Double = 0
    @Flag(help: "Two classes: a 2-way softmax instead of one sigmoid unit.") var softmax = false
    @Option(help: "Label smoothing ε in [0, 1).") var labelSmoothing = 0.0
    @Option(help: "'balanced' weighs each class by n / (K · n_class).") var classWeights: String?
    @Option(help: "Learning-rate schedule: constant, cosine or step (default constant).") var schedule: String?
    @Option(help: "Epochs of linear learning-rate warm-up (default 0).") var warmup: Int?
    @Option(help: "With --schedule step: epochs between steps (× 0.1; default 10).") var stepEpochs: Int?
    @Option(help: "Stop after this many epochs without a better validation loss (best weights restored).") var patience: Int?
    @Option(help: "Two classes: choose the decision threshold on validation: f1, precision=P or recall=R.") var thresholdFor: String?
    @Option(help: "Preprocessing preset or keys (when the model file and catalog have none).") var preprocess: String?
    @Flag(help: "Stop at the first unreadable image instead of skipping it.") var strict = false
    @Flag(help: "Compute features without reading or writing the feature cache.") var noCache = false
    @Option(help: "Folder of the feature cache (default $GRAFT_CACHE/features, else .cache/graft/features).") var cacheDir: String?
    @Option(help: "Images per backbone batch.") var featureBatch = 32
    @Flag(help: "Train on augmented views too: random horizontal flip, random resized crop (60–100% of the area), colour jitter ±10%.")
    var augment = false
    @Option(help: "With --augment: augmented views per training image, computed once and cached (default 4).") var augmentViews: Int?
    @Option(help: "Refuse images larger than this many pixels (decompression bombs).") var maxPixels = ImageDecoder.defaultMaxPixels
    @Flag(help: "Continue the interrupted run whose checkpoint is OUT.checkpoint (same model, data and options).") var resume = false
    @Option(help: "After the head, fine-tune the last K blocks of the backbone with it ('graft inspect --json' lists the blocks).")
    var fineTuneBlocks: Int?
    @Option(help: "Staged unfreezing, e.g. 1,2,4: the last block, then two, then four; --fine-tune-epochs each.")
    var fineTuneStages: String?
    @Option(help: "Epochs of fine-tuning (per stage).") var fineTuneEpochs = 5
    @Option(help: "Learning rate of the last block and the head while fine-tuning.") var fineTuneLr = 1e-5
    @Option(help: "Each block deeper into the backbone gets this factor of the next one's rate (1: one rate).")
    var lrDecayPerBlock = 1.0
    @Option(help: "BatchNorm while fine-tuning: frozen (inference mode), affine (train scale and shift) or train (also update the statistics).")
    var bn = "frozen"
    @Option(help: "With --bn train: moving = m · moving + (1 − m) · batch.") var bnMomentum = 0.99
    // A testing hook: stop as Ctrl-C would, after this epoch's checkpoint.
    @Option(help: .hidden) var stopAfterEpoch: Int?

    /// The first-order options given on the command line (they have no meaning for lbfgs).
    var firstOrderFlags: [String] {
        [("--lr", lr != nil), ("--batch-size", batchSize != nil), ("--momentum", momentum != nil),
         ("--schedule", schedule != nil), ("--warmup", warmup != nil), ("--step-epochs", stepEpochs != nil)]
            .filter(\.1).map(\.0)
    }

    /// `--optimizer`, or the default: lbfgs for a linear head unless a first-order option is given.
    var optimizerKind: OptimizerKind {
        if let optimizer, let kind = OptimizerKind(rawValue: optimizer) { return kind }
        return hidden == nil && dropout == 0 && firstOrderFlags.isEmpty ? .lbfgs : .adam
    }

    func validate() throws {
        if let epochs { guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1") } }
        if let batchSize { guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") } }
        if let lr { guard lr > 0, lr.isFinite else { throw ValidationError("--lr must be positive") } }
        if let optimizer, OptimizerKind(rawValue: optimizer) == nil {
            throw ValidationError("--optimizer must be lbfgs, adam, adamw or sgd")
        }
        if let weightDecay { guard weightDecay >= 0, weightDecay.isFinite else { throw ValidationError("--weight-decay must be at least 0") } }
        if let schedule, LearningRateSchedule.Kind(rawValue: schedule) == nil {
            throw ValidationError("--schedule must be constant, cosine or step")
        }
        if optimizerKind == .lbfgs {
            if hidden != nil || dropout > 0 {
                throw ValidationError("--optimizer lbfgs trains a linear head; --hidden and --dropout need adam, adamw or sgd")
            }
            // Fine-tuning (Adam through the blocks) uses --batch-size, --momentum, --schedule and --step-epochs.
            let fineTuning = fineTuneBlocks != nil || fineTuneStages != nil
            if let flag = firstOrderFlags.first(where: { !fineTuning || $0 == "--lr" || $0 == "--warmup" }) {
                throw ValidationError("\(flag) is for adam, adamw and sgd; lbfgs has no learning rate or mini-batches")
            }
        }
        guard (0..<1).contains(valSplit) else { throw ValidationError("--val-split must be in [0, 1)") }
        guard (0..<1).contains(dropout) else { throw ValidationError("--dropout must be in [0, 1)") }
        guard (0..<1).contains(labelSmoothing) else { throw ValidationError("--label-smoothing must be in [0, 1)") }
        if let h = hidden, h < 1 { throw ValidationError("--hidden must be at least 1") }
        if let c = classWeights, c != "balanced" { throw ValidationError("--class-weights takes 'balanced'") }
        if let t = thresholdFor, ThresholdRule(t) == nil {
            throw ValidationError("--threshold-for takes f1, precision=P or recall=R with P, R in [0, 1]")
        }
        if let p = patience, p < 1 { throw ValidationError("--patience must be at least 1") }
        if let v = augmentViews, v < 1 { throw ValidationError("--augment-views must be at least 1") }
    }

    var fineTuneFlags: FineTuneFlags {
        FineTuneFlags(blocks: fineTuneBlocks, stages: fineTuneStages, epochs: fineTuneEpochs, lr: fineTuneLr,
                      lrDecayPerBlock: lrDecayPerBlock, bn: bn, bnMomentum: bnMomentum)
    }

    func run() throws {
        if augmentViews != nil && !augment { throw CLIError.invalidOption("--augment-views needs --augment") }
        // Everything that can be wrong with the output path or the options is reported before any work.
        try OutputPath.check(output)
        let fineTune = try fineTuneFlags.options()
        let started = Date()
        let graph = try ModelLoader.load(model)
        let input = try ModelInput(graph: graph, option: preprocess)
        let folder = try ImageFolder(scanning: URL(fileURLWithPath: data))
        var options = TrainingOptions()
        options.optimizer = optimizerKind
        options.epochs = epochs
        options.epochs = options.maxEpochs  // recorded in the report and the checkpoint
        if let batchSize { options.batchSize = batchSize }
        if let lr { options.learningRate = lr }
        if let momentum { options.momentum = momentum }
        options.weightDecay = weightDecay
        if let schedule { options.schedule = LearningRateSchedule.Kind(rawValue: schedule)! }
        if let warmup { options.warmupEpochs = warmup }
        if let stepEpochs { options.stepEpochs = stepEpochs }
        options.labelSmoothing = labelSmoothing; options.balancedClassWeights = classWeights == "balanced"
        options.patience = patience; options.hidden = hidden; options.dropout = dropout; options.softmax = softmax; options.seed = seed
        let views = augment ? augmentViews ?? 4 : 0
        let augmentation = Augmentation()
        if augment { options.augmentation = augmentation; options.augmentViews = views }
        let classes = folder.classNames
        if softmax && classes.count != 2 { throw CLIError.invalidOption("--softmax is for two classes; \(classes.count) classes always get a softmax") }
        if thresholdFor != nil && classes.count != 2 { throw CLIError.invalidOption("--threshold-for needs two classes, the data has \(classes.count)") }

        // Backbone: the model up to its head's cut value.
        var backbone = graph
        let cut = try CutGraph(at: .head).apply(to: &backbone)
        print("Model: \(model) — cut the head (\(cut.head.map { "\($0.dense.count) dense, \($0.classes) classes" } ?? "?")) at \(cut.output) \(cut.outputShape)")
        if let fineTune {
            // Before any image is read: the blocks exist, one value enters them, and every op in
            // them has a backward kernel.
            let prepared = try FineTuner.prepared(backbone)
            for blocks in fineTune.stages {
                let boundary = try BlockBoundary.lastBlocks(blocks, of: prepared)
                _ = try TrainableGraph(try TrailingSubgraph.extract(prepared, from: boundary.value), trainable: [],
                                       batchNorm: fineTune.batchNorm)
            }
        }
        let all = folder.images + (folder.validation ?? [])
        print("Data: \(data) — \(classes.count) classes (\(classes.joined(separator: ", "))), \(all.count) images"
              + (folder.validation != nil ? " (train/ + val/)" : ""))

        let extractor = FeatureExtractor(backbone: backbone, inputName: input.name, preprocessing: input.preprocessing,
                                         channelsLast: input.channelsLast, batchSize: featureBatch,
                                         decoder: ImageDecoder(maxPixels: maxPixels))
        let cacheDirectory = noCache ? nil : cacheDir.map { URL(fileURLWithPath: $0) } ?? FeatureCache.defaultDirectory
        let extracted = try extractor.extract(all.map(\.url), cacheDirectory: cacheDirectory)
        guard extracted.sampleShape.count == 1 else {
            throw TrainingError.featureShape(value: cut.output, shape: "[N, \(extracted.sampleShape.map(String.init).joined(separator: ", "))]")
        }
        for failure in extracted.failures {
            if strict { throw TrainingError.unreadableImage(path: failure.path, reason: failure.reason) }
            FileHandle.standardError.write(Data("graft: skipped \(failure.path): \(failure.reason)\n".utf8))
        }
        print(String(format: "Features: %d × %d in %.2f s (%d from the cache, %d computed)",
                     all.count - extracted.failures.count, extracted.width, extracted.seconds, extracted.fromCache, extracted.computed))

        // Train/validation split over the readable images.
        let readable = all.indices.filter { extracted.features[$0] != nil }
        var trainIdx: [Int], valIdx: [Int]
        if folder.validation != nil {
            trainIdx = readable.filter { $0 < folder.images.count }
            valIdx = readable.filter { $0 >= folder.images.count }
        } else {
            let split = stratifiedSplit(labels: readable.map { all[$0].label }, fraction: valSplit, seed: seed)
            trainIdx = split.train.map { readable[$0] }
            valIdx = split.validation.map { readable[$0] }
        }
        for (c, name) in classes.enumerated() where !trainIdx.contains(where: { all[$0].label == c }) {
            throw TrainingError.tooFewImages(reason: "class '\(name)' has no readable training image; add images or lower --val-split")
        }
        func matrix(_ idx: [Int]) -> LabeledFeatures {
            LabeledFeatures(values: idx.flatMap { extracted.features[$0]!.map(Double.init) }, width: extracted.width,
                            labels: idx.map { all[$0].label })
        }
        var trainSet = matrix(trainIdx), valSet = matrix(valIdx)
        print("Split: \(trainSet.count) train, \(valSet.count) validation (seed \(seed))")
        // The report and the checkpoint record the L2 strength the run used.
        options.weightDecay = options.resolvedWeightDecay(trainCount: trainSet.count)
        let l2 = String(format: "%.3g", options.weightDecay!)
        print(options.optimizer == .lbfgs
              ? "Training: L-BFGS on all \(trainSet.count * (views + 1)) training rows, L2 λ \(l2)"
                + (weightDecay == nil ? " (1/n_train)" : "") + ", at most \(options.maxEpochs) iterations"
              : "Training: \(options.optimizer.rawValue), lr \(options.learningRate), batch \(options.batchSize), "
                + "weight decay \(l2), \(options.maxEpochs) epochs")

        // Augmented views of the training images only; their plain rows are the ones above.
        var featureSeconds = extracted.seconds
        var viewCounts: (fromCache: Int, computed: Int)?
        if views > 0 {
            let augmented = try extractor.extract(trainIdx.map { all[$0].url }, cacheDirectory: cacheDirectory, progressLabel: "augmented views",
                                                  views: views, augmentation: augmentation, seed: seed,
                                                  plain: trainIdx.map { extracted.features[$0] })
            if let failure = augmented.failures.first { throw TrainingError.unreadableImage(path: failure.path, reason: failure.reason) }
            var rows: [Double] = []
            rows.reserveCapacity(trainIdx.count * views * extracted.width)
            for viewsOfImage in augmented.views { for row in viewsOfImage! { rows += row.map(Double.init) } }
            trainSet = LabeledFeatures(values: trainSet.values, width: trainSet.width, labels: trainSet.labels, augmented: rows, views: views)
            featureSeconds += augmented.seconds
            viewCounts = (augmented.viewsFromCache, augmented.viewsComputed)
            let plainCached = trainIdx.filter { extracted.plainFromCache[$0] }.count
            print(String(format: "Features: %d images × %d views (%d augmented) in %.2f s — %d from the cache, %d computed",
                         trainIdx.count, views + 1, views, augmented.seconds, plainCached + augmented.viewsFromCache,
                         trainIdx.count - plainCached + augmented.viewsComputed))
        }

        // The checkpoint identifies its run by the feature-cache key, the split and the options.
        let checkpointURL = TrainingCheckpoint.path(forOutput: output)
        let keys = extractor.digests
        var split = Digest()
        for set in [trainSet, valSet] {
            split.combine("\(set.count) \(set.width) \(set.labels)")
            set.values.withUnsafeBytes { split.combine($0) }
            if set.views > 0 {
                split.combine("views \(set.views)")
                set.augmented.withUnsafeBytes { split.combine($0) }
            }
        }
        func checkpoint(_ state: TrainingState) -> TrainingCheckpoint {
            TrainingCheckpoint(modelDigest: keys.model, preprocessingDigest: keys.preprocessing, splitDigest: split.hex,
                               classNames: classes, options: options, state: state)
        }
        var resumeState: TrainingState?
        if resume {
            let saved = try TrainingCheckpoint.read(from: checkpointURL)
            if let why = saved.mismatch(with: checkpoint(saved.state)) {
                throw TrainingError.checkpoint(path: checkpointURL.path, reason: why)
            }
            resumeState = saved.state
            let s = saved.state
            print("Resuming from \(checkpointURL.path): \(s.epochsDone) epoch(s) done"
                  + (s.batchesDone > 0 ? " and \(s.batchesDone) batch(es) of epoch \(s.epochsDone + 1)" : ""))
            for e in s.history { printEpoch(e) }
        }

        let trainStart = Date()
        var epochsSeen = resumeState?.epochsDone ?? 0
        InterruptFlag.install()
        let result: TrainingResult
        do {
            defer { InterruptFlag.uninstall() }
            var warned = false
            // At most one checkpoint a second (any epoch's state resumes to the same bits): an
            // epoch on cached features takes milliseconds, writing the state tens to hundreds.
            // Ctrl-C and --stop-after-epoch write the state they stop at, below.
            var lastWrite = Date()
            result = Trainer.train(trainSet, validation: valSet.count > 0 ? valSet : nil, classes: classes.count, options: options,
                                       resume: resumeState,
                                       shouldStop: { InterruptFlag.isRaised || stopAfterEpoch.map { epochsSeen >= $0 } ?? false },
                                       checkpoint: { state in
                                           guard Date().timeIntervalSince(lastWrite) >= TrainingCheckpoint.interval else { return }
                                           lastWrite = Date()
                                           do { try checkpoint(state).write(to: checkpointURL) } catch where !warned {
                                               warned = true
                                               FileHandle.standardError.write(Data("graft: cannot write the checkpoint \(checkpointURL.path): \(error)\n".utf8))
                                           } catch {}
                                       }) { e in
                epochsSeen = e.epoch
                printEpoch(e)
            }
        }
        if let state = result.interruptedState {
            try checkpoint(state).write(to: checkpointURL)
            let rerun = CommandLine.arguments.map { $0.contains(" ") ? "'\($0)'" : $0 }.filter { $0 != "--resume" }
            print("Interrupted: checkpoint \(checkpointURL.path) (\(state.epochsDone) epoch(s)"
                  + (state.batchesDone > 0 ? " + \(state.batchesDone) batch(es)" : "") + "); continue with: "
                  + (rerun + ["--resume"]).joined(separator: " "))
            throw ExitCode(130)
        }
        if let reason = result.stopReason, !result.converged {
            FileHandle.standardError.write(Data("graft: \(reason)\n".utf8))
        }
        var head = result.head
        var fineTuned: FineTuneResult?
        if let fineTune {
            let source = BoundaryActivationSource(
                input: input, trainURLs: trainIdx.map { all[$0].url }, validationURLs: valIdx.map { all[$0].url },
                cacheDirectory: cacheDirectory, batchSize: featureBatch, views: views, augmentation: augmentation, seed: seed,
                decoder: ImageDecoder(maxPixels: maxPixels))
            InterruptFlag.install()
            defer { InterruptFlag.uninstall() }
            let tuned = try FineTuner.run(
                backbone: backbone, head: head, options: fineTune, training: options,
                trainLabels: trainSet.labels, validationLabels: valSet.labels, classes: classes.count,
                activationsAt: { try source.compute($0, prefix: $1) }, shouldStop: { InterruptFlag.isRaised },
                epochDone: { printEpoch($0, prefix: "fine-tune ") })
            if tuned.interrupted { FileHandle.standardError.write(Data("graft: fine-tuning interrupted; exporting the best weights so far\n".utf8)) }
            for stage in tuned.stages { if let reason = stage.stopReason { FileHandle.standardError.write(Data("graft: \(reason)\n".utf8)) } }
            head = tuned.head
            trainSet.values = tuned.trainFeatures
            valSet.values = tuned.validationFeatures
            fineTuned = tuned
        }
        let trainSeconds = Date().timeIntervalSince(trainStart)
        // A head in Float, as the exported model computes it.
        head.parameters = head.parameters.map { $0.map { Double(Float($0)) } }

        let evaluated = valSet.count > 0 ? valSet : trainSet
        let valProbabilities = head.probabilities(evaluated.values, rows: evaluated.count)
        var threshold: Double? = classes.count == 2 ? 0.5 : nil
        if let rule = thresholdFor.flatMap(ThresholdRule.init) {
            let scores = (0..<evaluated.count).map { valProbabilities[$0 * 2 + 1] }
            threshold = Metrics.chooseThreshold(scores: scores, positives: evaluated.labels.map { $0 == 1 }, rule: rule)
        }
        let valMetrics = Metrics.compute(probabilities: valProbabilities, labels: evaluated.labels, classNames: classes, threshold: threshold)
        let trainMetrics = Metrics.compute(probabilities: head.probabilities(trainSet.values, rows: trainSet.count),
                                           labels: trainSet.labels, classNames: classes, threshold: threshold)

        // The exported graph: the model with the new head (GraftHead cuts the old one), trained weights, frozen backbone.
        var exported = graph
        if let fineTuned {
            for (name, parameter) in fineTuned.backbone.parameters where exported.parameters[name] != nil {
                exported.parameters[name]!.tensor = parameter.tensor
            }
        }
        let kind: HeadSpec.Kind = classes.count == 2 ? .binary(softmax: softmax) : .classes(classes.count)
        let spec = HeadSpec(kind: kind, hidden: hidden, dropout: dropout > 0 ? Float(dropout) : nil, labels: classes, seed: seed)
        let grafted = try GraftHead(spec).apply(to: &exported)
        for (name, values) in zip(grafted.parameters, head.parameters) {
            let old = exported.parameters[name]!.tensor
            precondition(old.elementCount == values.count, "head parameter \(name) size")
            exported.parameters[name]!.tensor = Tensor(shape: old.shape, scalars: values.map(Float.init))
        }
        // Trainable in the exported model: the head, and the weights fine-tuning trained (BatchNorm's
        // scale and shift only with --bn affine or train), so a later run sees the same split.
        var trainableParameters = Set(grafted.parameters)
        if let fineTune, let stage = fineTuned?.stages.last {
            trainableParameters.formUnion(FineTuner.trainedParameters(of: exported, blocks: Set(stage.blocks), backbone: backbone,
                                                                      batchNorm: fineTune.batchNorm))
            exported.metadata.properties["graft.fine_tuned"] = "\(stage.blocks.joined(separator: ",")); bn=\(fineTune.batchNorm.rawValue)"
        }
        for name in exported.parameters.keys where !trainableParameters.contains(name) {
            exported.parameters[name]!.trainable = false
        }
        exported.metadata.preprocessing = input.preprocessing
        exported.metadata.classNames = classes
        if let threshold { exported.metadata.properties[HeadMetadataKeys.threshold] = String(threshold) }
        exported.metadata.properties["graft.trained_on"] = URL(fileURLWithPath: data).lastPathComponent

        // The written file must compute what was evaluated: read it back and check it on a few
        // validation images, with the input it declares, as `graft predict` will run it.
        let probe = Array((valIdx.isEmpty ? trainIdx : valIdx).prefix(8))
        let probeSet = valIdx.isEmpty ? trainSet : valSet  // its rows follow valIdx / trainIdx
        let want = head.probabilities(Array(probeSet.values[..<(probe.count * probeSet.width)]), rows: probe.count)
        try VerifiedWrite.write(exported, to: output) { written in
            let writtenInput = try ModelInput(graph: written, option: preprocess)
            let got = try ExportedHeadCheck.probabilities(written, input: writtenInput, urls: probe.map { all[$0].url })
            let delta = zip(want, got).map { abs($0 - $1) }.max() ?? .infinity
            print(String(format: "Check: the written model reproduces the trained head on %d images (largest |Δp| %.2e)", probe.count, delta))
            guard got.count == want.count, delta < 1e-3 else {
                let divergence = (try? OutputCheck.compare(exported, written)).map { "; the file against the graph in memory: \($0.summary)" }
                throw CLIError.verificationFailed(String(format: "the written model's probabilities differ from the trained head's by %.3g", delta)
                                                  + (divergence ?? ""))
            }
        }
        try? FileManager.default.removeItem(at: checkpointURL)

        let headText = describe(head, classes: classes.count)
        var report = TrainingReport(
            model: model, data: data, output: output, classNames: classes, head: headText, options: options,
            images: all.count, trainImages: trainSet.count, validationImages: valSet.count,
            skippedImages: extracted.failures.map(\.path), featureSeconds: featureSeconds,
            featuresFromCache: extracted.fromCache, trainSeconds: trainSeconds, epochs: result.history,
            bestEpoch: result.bestEpoch, stopReason: result.stopReason, thresholdRule: thresholdFor, threshold: threshold,
            validation: valMetrics, train: trainMetrics)
        if let fineTune, let fineTuned {
            report.fineTune = FineTuneSummary(options: fineTune, stages: fineTuned.stages, interrupted: fineTuned.interrupted)
        }
        report.augmentedViewsFromCache = viewCounts?.fromCache
        report.augmentedViewsComputed = viewCounts?.computed
        report.trainFiles = trainIdx.map { all[$0].url.path }
        report.validationFiles = valIdx.map { all[$0].url.path }
        try AtomicFile.write(try report.json(), to: URL(fileURLWithPath: output + ".report.json"))
        try AtomicFile.write(Data(ReportSVG.render(report).utf8), to: URL(fileURLWithPath: output + ".report.svg"))

        print("")
        print("== graft train: \(URL(fileURLWithPath: model).lastPathComponent) → \(output)")
        print("Head: \(headText); best epoch \(result.bestEpoch) of \(result.history.count)"
              + (result.stopReason.map { " (\($0))" } ?? ""))
        for (i, stage) in (fineTuned?.stages ?? []).enumerated() {
            print("Fine-tune stage \(i + 1): \(stage.blocks.joined(separator: ", ")) — best epoch \(stage.bestEpoch) of \(stage.epochs.count), "
                  + String(format: "%.2f s (%.3f s per epoch)", stage.trainSeconds, stage.trainSeconds / Double(max(stage.epochs.count, 1)))
                  + (stage.epochs.last?.batchNormDrift.map { String(format: "; BatchNorm moving means drifted %.2f σ", $0) } ?? ""))
        }
        print(String(format: "Time: features %.2f s, training %.2f s, total %.2f s", featureSeconds, trainSeconds, Date().timeIntervalSince(started)))
        print(MetricsText.render(valMetrics, title: valSet.count > 0 ? "Validation (\(valSet.count) images)" : "Training images (no validation set)"))
        if !extracted.failures.isEmpty { print("Skipped \(extracted.failures.count) unreadable image(s) (listed above; --strict makes this an error)") }
        print("Report: \(output).report.json, \(output).report.svg")
    }

    private func printEpoch(_ e: EpochRecord, prefix: String = "") {
        var line = prefix + String(format: "epoch %3d  ", e.epoch) + (e.learningRate > 0 ? String(format: "lr %.2e  ", e.learningRate) : "")
            + String(format: "loss %.4f  acc %.4f", e.trainLoss, e.trainAccuracy)
        if let vl = e.validationLoss, let va = e.validationAccuracy { line += String(format: "  val_loss %.4f  val_acc %.4f", vl, va) }
        print(line)
    }

    private func describe(_ head: DenseHead, classes: Int) -> String {
        var parts: [String] = []
        if let h = head.hidden { parts.append("dense \(h) + relu") }
        if head.dropout > 0 { parts.append("dropout \(head.dropout)") }
        parts.append("dense \(head.units) + \(head.output.rawValue)")
        return parts.joined(separator: ", ")
    }
}

/// Checks made on an output path before any work.
enum OutputPath {
    static func check(_ path: String) throws {
        let lower = path.lowercased()
        guard lower.hasSuffix(".onnx") || lower.hasSuffix(".h5") || lower.hasSuffix(".hdf5") else {
            throw CLIError.unknownOutputExtension(path: path)
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDir), isDir.boolValue else {
            throw CLIError.invalidOption("\(path): the folder \(folder) does not exist; create it first")
        }
        guard FileManager.default.isWritableFile(atPath: folder) else {
            throw CLIError.invalidOption("\(path): the folder \(folder) is not writable")
        }
    }
}

/// Runs a whole classifier on image files and returns each image's class
/// probabilities (one sigmoid unit → `[1 − p, p]`); nil for an unreadable image.
enum ExportedHeadCheck {
    static func rows(_ graph: Graph, input: ModelInput, urls: [URL], progress: String? = nil,
                     decoder: ImageDecoder = ImageDecoder()) throws -> [[Double]?] {
        let extractor = FeatureExtractor(backbone: graph, inputName: input.name, preprocessing: input.preprocessing,
                                         channelsLast: input.channelsLast, decoder: decoder)
        let out = try extractor.extract(urls, cacheDirectory: nil, progressLabel: progress)
        let activation = HeadDetector.detect(in: graph)?.activation ?? "none"
        return out.features.map { row in row.map { probabilities(fromOutput: $0, activation: activation) } }
    }

    /// One image's class probabilities from the model's output row (one unit: `[1 − p, p]`).
    static func probabilities(fromOutput row: [Float], activation: String) -> [Double] {
        let v = row.map(Double.init)
        if v.count == 1 {
            let p = activation == "sigmoid" ? v[0] : HeadMath.sigmoid(v[0])
            return [1 - p, p]
        }
        return activation == "softmax" ? v : HeadMath.softmax(v, classes: v.count)
    }

    /// `[n, K]` probabilities of images that must all be readable.
    static func probabilities(_ graph: Graph, input: ModelInput, urls: [URL]) throws -> [Double] {
        try rows(graph, input: input, urls: urls).flatMap { $0 ?? [] }
    }
}
