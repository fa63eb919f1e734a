%% Skynet: a tree of processes of fan-out 10; leaves send their number, parents sum.
-module(skynet).
-export([main/1]).

skynet(Parent, Num, 1, _Div) -> Parent ! {sum, Num};
skynet(Parent, Num, Size, Div) ->
    Sub = Size div Div,
    Self = self(),
    [spawn(fun() -> skynet(Self, Num + I * Sub, Sub, Div) end) || I <- lists:seq(0, Div - 1)],
    Parent ! {sum, collect(Div, 0)}.

collect(0, Sum) -> Sum;
collect(N, Sum) -> receive {sum, S} -> collect(N - 1, Sum + S) end.

main(Args) ->
    N = case Args of [A | _] -> list_to_integer(A); [] -> 1000000 end,
    Self = self(),
    spawn(fun() -> skynet(Self, 0, N, 10) end),
    receive {sum, S} -> io:format("~p~n", [S]) end.
