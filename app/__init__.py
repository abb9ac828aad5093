"""Backend of the WeChat mini-program for party members' organizational life (社会组织党建)."""
