/* The subcommands of the `cloudqe` binary. Each takes argv after the command name
 * (argv[0] is the command) and returns a process exit status. */
#ifndef CQE_COMMANDS_H
#define CQE_COMMANDS_H

int cqe_cmd_replay(int argc, char **argv);
int cqe_cmd_check_config(int argc, char **argv);
int cqe_cmd_gen(int argc, char **argv);
int cqe_cmd_report(int argc, char **argv);
int cqe_cmd_decode(int argc, char **argv);
int cqe_cmd_explain(int argc, char **argv);

int cqe_cmd_snapshot(int argc, char **argv);
int cqe_cmd_retain(int argc, char **argv);
int cqe_cmd_run(int argc, char **argv);
int cqe_cmd_produce(int argc, char **argv);
int cqe_cmd_mock_kafka(int argc, char **argv);
int cqe_cmd_serve(int argc, char **argv);
int cqe_cmd_version(int argc, char **argv);

#endif
