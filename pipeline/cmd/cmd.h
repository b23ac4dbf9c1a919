// One function per qecpipe subcommand (one file each: cmd_<name>.c). Each returns the
// process exit status: 0 success, 1 runtime/input error (one line on stderr), 2 usage error.
#ifndef QP_CMD_CMD_H
#define QP_CMD_CMD_H

int cmd_convert(int argc, char **argv);
int cmd_decode(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_redecode(int argc, char **argv);
int cmd_dem(int argc, char **argv);
int cmd_gen(int argc, char **argv);
int cmd_simulate(int argc, char **argv);
int cmd_sample(int argc, char **argv);
int cmd_train(int argc, char **argv);

#endif
