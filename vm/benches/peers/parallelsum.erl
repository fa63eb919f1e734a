%% Parallel sum: a CPU-bound sum of i*i rem 7 split over T processes.
-module(parallelsum).
-export([main/1]).

sum(Lo, Hi, Acc) when Lo >= Hi -> Acc;
sum(Lo, Hi, Acc) -> sum(Lo + 1, Hi, Acc + (Lo * Lo) rem 7).

main(Args) ->
    N = case Args of [A | _] -> list_to_integer(A); [] -> 400000000 end,
    T = 16, Chunk = N div T, Self = self(),
    [spawn(fun() -> Self ! {part, sum(K * Chunk, (K + 1) * Chunk, 0)} end) || K <- lists:seq(0, T - 1)],
    Total = lists:sum([receive {part, S} -> S end || _ <- lists:seq(1, T)]),
    io:format("~p~n", [Total]).
