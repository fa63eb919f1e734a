%% Ping-pong: two processes hand control back and forth N times.
-module(pingpong).
-export([main/1]).

main(Args) ->
    N = case Args of [A | _] -> list_to_integer(A); [] -> 1000000 end,
    Self = self(),
    P = spawn(fun() -> pong(Self) end),
    T0 = erlang:monotonic_time(nanosecond),
    ping(P, N),
    T1 = erlang:monotonic_time(nanosecond),
    io:format("~p switches, ~.1f ns per switch~n", [2 * N, (T1 - T0) / (2 * N)]).

ping(P, 0) -> P ! stop;
ping(P, N) -> P ! ping, receive pong -> ping(P, N - 1) end.

pong(Main) -> receive ping -> Main ! pong, pong(Main); stop -> ok end.
