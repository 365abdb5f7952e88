using Rlhf.Benchmarks;

// Each mode prints markdown tables (dotnet run -c Release --project tests/Rlhf.Benchmarks -- MODE …, or scripts/bench MODE):
//   engine [--threads N] [--no-torch] [--quick]            engine training/scoring/generation tokens/s beside PyTorch 1.13
//   grpc [--quick] [--warmup S] [--duration S]             unary calls/s and latency, grpc-dotnet vs python3-grpcio in every pairing
//   ppo [--quick] [--iterations N] [--warmup N]            the transport share of a PPO iteration on the embedded suite
//   reward [--seconds S] [--data DIR]                      RewardService throughput and latency, micro-batching on/off
//   decode [--quick]                                       the kernels of a batched decoding step, one by one, and memory bandwidth
return args.FirstOrDefault() switch
{
    "engine" => EngineBenchmark.Run(args[1..]),
    "grpc" => GrpcBenchmark.Run(args[1..]),
    "ppo" => await PpoBenchmark.RunAsync(args[1..]),
    "reward" => await RewardBenchmark.RunAsync(args[1..]),
    "decode" => DecodeKernelBenchmark.Run(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: Rlhf.Benchmarks engine [--threads N] [--no-torch] [--quick] | grpc [--quick] [--warmup S] [--duration S]"
        + " | ppo [--quick] [--iterations N] [--warmup N] | reward [--seconds S] [--data DIR]"
        + " | decode [--quick]");
    return 2;
}
