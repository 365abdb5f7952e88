using Rlhf.Cli;

return await RlhfCommandLine.InvokeAsync(args);
