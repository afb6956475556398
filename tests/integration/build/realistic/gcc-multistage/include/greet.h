#ifndef GREET_H
#define GREET_H

#define GREETING "hello"

/* Writes "<GREETING>, <name>!" and a newline to stdout; returns the bytes written. */
int greet(const char *name);

#endif
