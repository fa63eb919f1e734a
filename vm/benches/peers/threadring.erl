%% Thread-ring (Benchmarks Game): 503 processes pass a token N times.
-module(threadring).
-export([main/1]).

main(Args) ->
    N = case Args of [A | _] -> list_to_integer(A); [] -> 10000000 end,
    Self = self(),
    First = lists:foldl(fun(Id, Next) -> spawn(fun() -> loop(Id, Next, Self) end) end,
                        Self, lists:seq(503, 2, -1)),
    spawn(fun() -> loop(1, First, Self) end) ! {token, N, First},
    receive {done, Id} -> io:format("~p~n", [Id]) end.

loop(Id, Next, Main) ->
    receive
        {token, 0, _} -> Main ! {done, Id};
        {token, T, F} ->
            case Next =:= Main of
                true -> F ! {token, T - 1, F};
                false -> Next ! {token, T - 1, F}
            end,
            loop(Id, Next, Main)
    end.
