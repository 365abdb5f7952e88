using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using Rlhf.Cli.Commands;
using Rlhf.Contracts;

namespace Rlhf.Cli;

/// <summary>
/// The <c>rlhf</c> command line: the root command with its subcommands, and the one place where a failure becomes a
/// message and an exit code. A parse error (unknown option, missing required option) prints
/// <c>rlhf CMD: problem; see rlhf CMD --help</c> and exits <see cref="ExitCodes.Usage"/>; an exception from a command
/// prints <c>rlhf CMD: message</c> with the code of <see cref="ExitCodePolicy"/>, and its stack trace only with
/// <c>--verbose</c>. Every help page ends with the exit codes (<see cref="ExitCodes.HelpText"/>).
/// </summary>
public static class RlhfCommandLine
{
    /// <summary><c>--verbose</c>, on every command: print the stack trace of an error.</summary>
    public static readonly Option<bool> Verbose = new("--verbose") { Description = "Print the stack trace of an error", Recursive = true };

    /// <summary>The root command.</summary>
    public static RootCommand Create()
    {
        var root = new RootCommand("rlhf: RLHF on gRPC microservices — generate text, train and serve reward models, run PPO.")
        {
            GenerateCommand.Create(),
            PpoCommand.Create(),
            ScoreCommand.Create(),
            TrainRewardCommand.Create(),
            EvalRewardCommand.Create(),
            UpCommand.Create(),
        };
        root.Options.Add(Verbose);
        foreach (var help in root.Options.OfType<HelpOption>())
        {
            if (help.Action is HelpAction action)
                help.Action = new WithExitCodes(action);
        }
        return root;
    }

    /// <summary>Parses and runs <paramref name="args"/>; returns the exit code.</summary>
    public static async Task<int> InvokeAsync(string[] args, CancellationToken cancellationToken = default)
    {
        var parse = Create().Parse(args);
        var name = CommandPath(parse.CommandResult);
        if (parse.Action is ParseErrorAction)
        {
            var first = parse.Errors[0].Message.TrimEnd('.');
            var more = parse.Errors.Count > 1 ? $" (and {parse.Errors.Count - 1} more)" : "";
            await Console.Error.WriteLineAsync($"{name}: {first}{more}; see {name} --help").ConfigureAwait(false);
            return ExitCodes.Usage;
        }
        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            var failure = ExitCodePolicy.Classify(e);
            await Console.Error.WriteLineAsync(ExitCodePolicy.Format(name, failure, e, parse.GetValue(Verbose))).ConfigureAwait(false);
            return failure.ExitCode;
        }
    }

    /// <summary>"rlhf ppo" for the ppo command's result.</summary>
    private static string CommandPath(System.CommandLine.Parsing.CommandResult? result)
    {
        var names = new List<string>();
        for (var r = result; r is not null; r = r.Parent as System.CommandLine.Parsing.CommandResult)
            names.Add(r.Command is RootCommand ? "rlhf" : r.Command.Name);
        names.Reverse();
        return names.Count == 0 ? "rlhf" : string.Join(' ', names);
    }

    /// <summary>The standard help, then the exit codes.</summary>
    private sealed class WithExitCodes(HelpAction help) : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            var code = help.Invoke(parseResult);
            var output = parseResult.InvocationConfiguration.Output;
            output.WriteLine(ExitCodes.HelpText);
            return code;
        }
    }
}
